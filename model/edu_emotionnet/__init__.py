"""Edu-EmotionNet: CMAA + MIE + TFL for learner affect, the EduAffect-Synth benchmark and its oracle."""

MODEL_VERSION = "2.4.0"
