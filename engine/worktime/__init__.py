"""worktime"""
