"""vibegrade.students"""
