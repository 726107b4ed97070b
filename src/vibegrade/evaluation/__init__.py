"""vibegrade.evaluation"""
