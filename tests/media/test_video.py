"""Tests for vibegrade.media.video: frames, timing, audio copy, rotation, streaming, errors."""

from __future__ import annotations

import threading
import tracemalloc
from fractions import Fraction

import av
import numpy as np
import pytest

from tests.media.video_helpers import audio_packets, make_clip, video_frames
from vibegrade.media import video as video_mod
from vibegrade.media.image import MediaError
from vibegrade.media.streams import normalise_rotation
from vibegrade.media.video import (
    PIPELINE_DEPTH,
    VIDEO_EXTENSIONS,
    VideoInfo,
    is_video_path,
    probe_video,
    transcode_video,
)


def invert(rgb: np.ndarray) -> np.ndarray:
    return 255 - rgb


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """1 s, 160×120, 24 fps H.264 with an AAC stereo track."""
    return make_clip(tmp_path_factory.mktemp("v") / "src.mp4")


@pytest.fixture(scope="module")
def rotated(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("v") / "rot.mp4", rotation=90, audio=None)


def test_probe(clip):
    info = probe_video(clip)
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height) == (160, 120)
    assert info.fps == 24 and info.frames == 24
    assert info.duration == pytest.approx(1.0, abs=1 / 24)
    assert info.rotation == 0 and info.has_audio and info.codec == "h264"
    assert info.audio_codecs == ("aac",)


def test_transcode_inverts_and_keeps_everything(clip, tmp_path):
    out = tmp_path / "out.mp4"
    info = transcode_video(clip, out, invert)
    src_info = probe_video(clip)
    assert info.frames == src_info.frames == 24
    assert info.fps == src_info.fps
    assert abs(info.duration - src_info.duration) <= 1 / 24 + 1e-6
    assert (info.width, info.height) == (160, 120) and info.codec == "h264" and info.pix_fmt == "yuv420p"
    assert any("copied without re-encoding" in n for n in info.notes)

    src_frames, src_times = video_frames(clip)
    out_frames, out_times = video_frames(out)
    assert len(out_frames) == len(src_frames)
    assert out_times == pytest.approx(src_times, abs=1e-3)  # timestamps kept
    for a, b in zip(src_frames, out_frames):  # every frame really went through `process`
        assert abs(float(b.mean()) - (255 - float(a.mean()))) < 3.0
        assert np.abs(b.astype(int) - (255 - a.astype(int))).mean() < 4.0

    # audio: same packets, byte for byte, same timing
    src_audio, out_audio = audio_packets(clip), audio_packets(out)
    assert len(out_audio) == len(src_audio) > 0
    assert [p for p, _ in out_audio] == [p for p, _ in src_audio]
    assert sum(len(p) for p, _ in out_audio) == sum(len(p) for p, _ in src_audio)
    assert [t for _, t in out_audio] == pytest.approx([t for _, t in src_audio], abs=1e-3)
    assert list(tmp_path.iterdir()) == [out]  # no temporary left behind


def test_pass_through(clip, tmp_path):
    out = tmp_path / "same.mp4"
    info = transcode_video(clip, out, None)
    assert info.frames == 24
    src_frames, _ = video_frames(clip)
    out_frames, _ = video_frames(out)
    for a, b in zip(src_frames, out_frames):
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 2.0


def test_rotation_kept(rotated, tmp_path):
    assert probe_video(rotated).rotation == 90
    out = tmp_path / "rot_out.mp4"
    info = transcode_video(rotated, out, invert)
    assert info.rotation == 90 and not info.has_audio
    with av.open(str(out)) as c:
        f = next(c.decode(video=0))
        assert f.rotation == 90
        assert (f.width, f.height) == (160, 120)  # coded size unchanged, display matrix carries the turn


def test_variable_frame_rate_timestamps_kept(tmp_path):
    pts = [0, 1, 2, 4, 5, 8, 9, 10, 13, 14, 15, 16]
    src = make_clip(tmp_path / "vfr.mp4", pts=pts, audio=None)
    out = tmp_path / "vfr_out.mp4"
    transcode_video(src, out, invert)
    _, times = video_frames(out)
    assert times == pytest.approx([p / 24 for p in pts], abs=1e-3)


def test_odd_size_and_mkv_input(tmp_path):
    src = make_clip(tmp_path / "odd.mkv", size=(75, 49), vcodec="ffv1", pix_fmt="yuv444p", audio="aac",
                    seconds=0.5)
    info_in = probe_video(src)
    assert (info_in.width, info_in.height) == (75, 49) and info_in.frames == 12  # counted by demuxing
    out = tmp_path / "odd.mp4"
    info = transcode_video(src, out, invert)
    assert (info.width, info.height) == (76, 50) and info.frames == 12
    assert any("padded to 76×50" in n for n in info.notes)
    frames, _ = video_frames(out)
    src_frames, _ = video_frames(src)
    assert abs(float(frames[3][:49, :75].mean()) - (255 - float(src_frames[3].mean()))) < 3.0
    # the padding repeats the edge instead of adding a black line
    assert np.abs(frames[3][49].astype(int) - frames[3][48].astype(int)).mean() < 4.0


def test_audio_fallback_to_aac(tmp_path):
    src = make_clip(tmp_path / "ulaw.mov", audio="pcm_mulaw", seconds=0.5)
    out = tmp_path / "ulaw.mp4"
    info = transcode_video(src, out, None)
    assert info.has_audio and info.audio_codecs == ("aac",)
    assert any("re-encoded to AAC" in n for n in info.notes)
    with av.open(str(out)) as c:
        samples = sum(f.samples for f in c.decode(audio=0))
    assert samples >= 0.5 * 48000 * 0.95


def test_mkv_output_and_copy_into_other_container(clip, tmp_path):
    out = tmp_path / "out.mkv"
    info = transcode_video(clip, out, invert)
    assert info.frames == 24 and info.has_audio
    assert [p for p, _ in audio_packets(out)] == [p for p, _ in audio_packets(clip)]


def test_frames_are_streamed_not_collected(tmp_path):
    """`process` sees frames while earlier ones are already encoded; frames in flight stay bounded."""
    src = make_clip(tmp_path / "long.mp4", seconds=4, size=(96, 64), audio=None)
    lock = threading.Lock()
    state = {"started": 0, "written": 0, "max_in_flight": 0, "written_before_last_start": 0}

    def process(rgb):
        with lock:
            state["started"] += 1
            state["max_in_flight"] = max(state["max_in_flight"], state["started"] - state["written"])
            state["written_before_last_start"] = state["written"]
        return invert(rgb)

    def progress(done, total):
        with lock:
            state["written"] = done

    info = transcode_video(src, tmp_path / "long_out.mp4", process, progress=progress, workers=2)
    assert info.frames == state["started"] == state["written"] == 96
    assert state["max_in_flight"] <= PIPELINE_DEPTH + 2 + 2
    assert state["written_before_last_start"] > 48  # encoding went on while frames were still being decoded


def test_memory_does_not_grow_with_length(tmp_path):
    """Peak traced memory (NumPy frames included) is a few frames' worth, not the whole clip."""
    size = (256, 192)
    src = make_clip(tmp_path / "mem.mp4", seconds=4, size=size, audio=None)
    frame_bytes = size[0] * size[1] * 3
    tracemalloc.start()
    try:
        info = transcode_video(src, tmp_path / "mem_out.mp4", invert)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.frames == 96
    assert peak < 32 * frame_bytes  # holding every frame would need 96 × (input + output)


def test_progress_callback_and_bar(clip, tmp_path, capsys):
    seen = []
    transcode_video(clip, tmp_path / "p.mp4", invert, progress=lambda d, t: seen.append((d, t)))
    assert [d for d, _ in seen] == list(range(1, 25)) and all(t == 24 for _, t in seen)
    transcode_video(clip, tmp_path / "p2.mp4", invert, progress=True)  # rich bar on stderr, must not fail


def test_process_errors_propagate_and_leave_nothing(clip, tmp_path):
    calls = []

    def boom(rgb):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("grading failed")
        return rgb

    with pytest.raises(RuntimeError, match="grading failed"):
        transcode_video(clip, tmp_path / "x.mp4", boom)
    with pytest.raises(ValueError, match=r"\(120, 160, 3\) uint8"):
        transcode_video(clip, tmp_path / "y.mp4", lambda rgb: rgb[:, :10])
    with pytest.raises(ValueError, match="uint8"):
        transcode_video(clip, tmp_path / "z.mp4", lambda rgb: rgb.astype(np.float32))
    assert list(tmp_path.iterdir()) == []
    # the decode thread and the frame pool are gone
    ours = ("vibegrade-decode", "vibegrade-frame")
    assert not [t.name for t in threading.enumerate() if t.name.startswith(ours)]


def test_existing_output_survives_a_failed_run(clip, tmp_path):
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous render")

    def boom(rgb):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        transcode_video(clip, out, boom)
    assert out.read_bytes() == b"previous render"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mp4"]


def _one_line(err, name):
    msg = str(err.value)
    assert "\n" not in msg and name in msg
    return msg


def test_corrupt_inputs(clip, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 100)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])  # moov atom is at the end: unreadable
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    folder = tmp_path / "dir.mp4"
    folder.mkdir()
    for bad in (junk, text, cut, empty, folder, tmp_path / "missing.mp4"):
        with pytest.raises(MediaError) as e:
            probe_video(bad)
        _one_line(e, bad.name)
        with pytest.raises(MediaError) as e:
            transcode_video(bad, tmp_path / "o.mp4", invert)
        _one_line(e, bad.name)
    assert not (tmp_path / "o.mp4").exists()


def test_audio_only_file(tmp_path):
    src = tmp_path / "tone.m4a"
    with av.open(str(src), "w") as out:
        a = out.add_stream("aac", rate=48000)
        a.layout = "mono"
        for i in range(10):
            f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            f.sample_rate, f.pts = 48000, i * 1024
            for p in a.encode(f):
                out.mux(p)
        for p in a.encode():
            out.mux(p)
    with pytest.raises(MediaError, match="no video stream"):
        probe_video(src)


def test_bad_output_and_options(clip, tmp_path):
    with pytest.raises(MediaError, match="cannot write .gif"):
        transcode_video(clip, tmp_path / "x.gif", invert)
    with pytest.raises(MediaError, match="folder does not exist"):
        transcode_video(clip, tmp_path / "no" / "x.mp4", invert)
    with pytest.raises(MediaError, match="not available"):
        transcode_video(clip, tmp_path / "x.mp4", invert, codec="no_such_encoder")
    with pytest.raises(MediaError, match="over the limit"):
        transcode_video(clip, tmp_path / "x.mp4", invert, max_pixels=1000)
    assert list(tmp_path.iterdir()) == []


def test_sequential_worker_mode(clip, tmp_path):
    info = transcode_video(clip, tmp_path / "w1.mp4", invert, workers=1, preset="veryfast", crf=23)
    assert info.frames == 24
    assert "preset=veryfast crf=23" in info.notes[0]


def test_iter_frames(clip):
    frames = list(video_mod.iter_frames(clip))
    assert len(frames) == 24 and frames[0].shape == (120, 160, 3) and frames[0].dtype == np.uint8


def test_helpers():
    assert is_video_path("A.MP4") and is_video_path("x.mkv") and not is_video_path("x.jpg")
    assert ".mov" in VIDEO_EXTENSIONS
    assert normalise_rotation(-90) == 270 and normalise_rotation(90.4) == 90
    assert normalise_rotation(180) == 180 and normalise_rotation(0) == 0
    assert isinstance(probe_video.__doc__, str) and Fraction(24) == 24
