package dev.peft4j.cli;

import dev.peft4j.core.io.AdapterAnalysis;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** The pictures of {@code peft4j analyze}: singular-value spectra per module and the φ grid (XChart, headless). */
final class AnalysisCharts {

    private static final int LEGEND_LIMIT = 12;

    private AnalysisCharts() {}

    /**
     * σ_i / σ_1 against i, one line per module, on a log scale.
     *
     * @param result the adapter's analysis
     * @return the PNG's bytes
     * @throws IOException when it cannot be encoded
     */
    static byte[] spectra(AdapterAnalysis.Result result) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(540)
                .title("Singular values of ΔW: " + result.adapter().getFileName() + " (" + result.method() + ")")
                .xAxisTitle("index i")
                .yAxisTitle("σ_i / σ_1")
                .build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendVisible(result.modules().size() <= LEGEND_LIMIT);
        chart.getStyler().setMarkerSize(2);
        for (AdapterAnalysis.Module module : result.modules()) {
            double[] sigma = module.singularValues();
            List<Integer> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int i = 0; i < sigma.length && sigma[i] > 1e-12 * sigma[0]; i++) {
                x.add(i + 1);
                y.add(sigma[i] / sigma[0]);
            }
            if (!x.isEmpty()) {
                chart.addSeries(module.path(), x, y);
            }
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * The mean φ(i, j) over the modules the two adapters share.
     *
     * @param phi the grid, [i − 1][j − 1]
     * @param first the first adapter's name
     * @param second the second adapter's name
     * @return the PNG's bytes
     * @throws IOException when it cannot be encoded
     */
    static byte[] similarity(double[][] phi, String first, String second) throws IOException {
        System.setProperty("java.awt.headless", "true");
        HeatMapChart chart = new HeatMapChartBuilder()
                .width(700)
                .height(600)
                .title("Subspace similarity φ(i, j): " + first + " vs " + second)
                .xAxisTitle("i (" + first + ")")
                .yAxisTitle("j (" + second + ")")
                .build();
        chart.getStyler().setMin(0);
        chart.getStyler().setMax(1);
        List<Integer> xs = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        List<Number[]> cells = new ArrayList<>();
        for (int i = 0; i < phi.length; i++) {
            xs.add(i + 1);
            for (int j = 0; j < phi[i].length; j++) {
                cells.add(new Number[] {i, j, phi[i][j]});
            }
        }
        for (int j = 0; j < phi[0].length; j++) {
            ys.add(j + 1);
        }
        chart.addSeries("φ", xs, ys, cells);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }
}
