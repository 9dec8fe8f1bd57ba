package dev.peft4j.experiments.memorize;

import java.io.IOException;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** Draws character accuracy against step, one line per run, as a PNG (XChart, headless). */
public final class AccuracyChart {

    private AccuracyChart() {}

    /**
     * Renders the chart.
     *
     * @param report the results
     * @return the PNG's bytes
     * @throws IOException when it cannot be encoded
     */
    public static byte[] png(MemorizeReport report) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(540)
                .title(String.format(
                        "Memorizing %,d UUID pairs: character accuracy (%s%s, %s)",
                        report.pairs(),
                        report.model() == null ? "" : report.modelName() + ", ",
                        report.engine(),
                        report.device()))
                .xAxisTitle("training step")
                .yAxisTitle("character accuracy (%)")
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        chart.getStyler().setMarkerSize(4);
        for (RunResult result : report.results()) {
            List<Double> percent =
                    result.charAccuracy().stream().map(a -> 100 * a).toList();
            chart.addSeries(
                    String.format("%s (%,d params)", result.label(), result.trainableParams()),
                    result.steps(),
                    percent);
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }
}
