"""vibegrade.media"""
