"""Preloaded by the forkserver that the chart-drawing processes fork from (charts.Drawing): it
imports matplotlib and draws one small chart, so that every drawing process starts with
matplotlib, its fonts and its text caches in memory instead of loading them again."""

from __future__ import annotations

from daemon.documents.charts import ChartSpec, bar_chart

bar_chart(ChartSpec(entries=(("Unit", 90.0, "90% (Sangat Tinggi)", "#1a7f37"),),
                    xlabel="Rata-rata capaian kinerja (%)", mean=90.0, mean_label="rata-rata",
                    legend=True, caption=""))
