"""`vibegrade render` and `vibegrade edit` on a video built inside the test (with audio)."""

from __future__ import annotations

import av

from vibegrade.media.bench import make_test_clip
from vibegrade.media.video import probe_video


def _mean_rgb(path, index=5):
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i == index:
                return f.to_ndarray(format="rgb24").reshape(-1, 3).mean(0)
    raise AssertionError("too few frames")


def _audio_packets(path):
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(audio=0) if p.size]


def test_render_video_keeps_frames_fps_duration_and_audio(cli, tmp_path):
    src = make_test_clip(tmp_path / "clip.mp4", seconds=1.0, size=(160, 96), fps=24, audio=True)
    out = tmp_path / "graded.mp4"
    res = cli("render", src, out, "--tools", '{"adjust": {"temperature": 80, "exposure": 20}}',
              "--no-progress")
    assert res.exit_code == 0, res.output
    a, b = probe_video(src), probe_video(out)
    assert b.frames == a.frames == 24 and float(b.fps) == float(a.fps) == 24
    assert abs(b.duration - a.duration) <= 1 / 24 and b.codec == "h264" and b.has_audio
    assert _audio_packets(out) == _audio_packets(src)  # audio copied unchanged
    m0, m1 = _mean_rgb(src), _mean_rgb(out)
    assert m1[0] / m1[2] > m0[0] / m0[2] * 1.1  # warmer: the chain really was applied


def test_edit_video_from_a_request(cli, tmp_path):
    import json

    from vibegrade.schema import parse_chain
    from vibegrade.students import load_student

    src = make_test_clip(tmp_path / "clip.mp4", seconds=0.5, size=(96, 64), fps=12, audio=True)
    out = tmp_path / "golden.mp4"
    res = cli("edit", src, out, "golden hour")
    assert res.exit_code == 0, res.output
    chain = parse_chain(json.loads(res.stdout.splitlines()[0]))
    assert chain == load_student().predict(["golden hour"])[0]
    assert chain.adjust.temperature > 0  # the teacher's golden hour is warm
    assert probe_video(out).frames == probe_video(src).frames and probe_video(out).has_audio
    m0, m1 = _mean_rgb(src, index=2), _mean_rgb(out, index=2)
    assert m1[0] - m1[2] > m0[0] - m0[2]  # warmer


def test_bad_video_inputs(cli, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    res = cli("render", broken, tmp_path / "o.mp4", "--tools", "{}")
    assert res.exit_code == 2 and "broken.mp4" in res.output and "Traceback" not in res.output
    src = make_test_clip(tmp_path / "ok.mp4", seconds=0.25, size=(64, 48), fps=12, audio=False)
    res = cli("render", src, tmp_path / "o.png", "--tools", "{}")
    assert res.exit_code == 2 and "video file" in res.output
    assert not (tmp_path / "o.mp4").exists() and not (tmp_path / "o.png").exists()
