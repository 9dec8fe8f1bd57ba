package dev.peft4j.train;

import java.io.IOException;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** Draws training and evaluation loss against step as a PNG (XChart, headless). */
final class LossChart {

    private LossChart() {}

    /**
     * Renders the chart.
     *
     * @param title the chart's title
     * @param history the run's losses
     * @return the PNG's bytes
     * @throws IOException when it cannot be encoded
     */
    static byte[] png(String title, TrainingHistory history) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(540)
                .title(title)
                .xAxisTitle("optimizer step")
                .yAxisTitle("loss (mean NLL per token, nats)")
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setMarkerSize(4);
        addSeries(chart, "train", history.trainLoss());
        addSeries(chart, "eval", history.evalLoss());
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    private static void addSeries(XYChart chart, String name, List<TrainingHistory.Point> points) {
        if (!points.isEmpty()) {
            chart.addSeries(
                    name,
                    points.stream().map(TrainingHistory.Point::step).toList(),
                    points.stream().map(TrainingHistory.Point::value).toList());
        }
    }
}
