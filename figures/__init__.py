"""Plotly figure builders shared by the wall, the department pages and the PDF briefings.

Pure: data in, ``go.Figure`` out — no store, no Dash, no request context — so the same
picture renders in a browser, in a test and through kaleido into a briefing.
"""

#: the charts' CJK-first font stack (screens; the PDF briefing puts an embeddable face first)
FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
