"""vibegrade.data"""
