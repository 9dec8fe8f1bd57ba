package dev.peft4j.experiments.memorize;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * What a run measures as it trains: character accuracy, pair accuracy and loss over every pair at
 * step 0, at the steps the table reports (30%, 50%, 70%, 90%, 100%) and at 20 evenly spaced steps
 * for the chart. Both the synthetic and the pretrained experiment record through it.
 */
final class AccuracyCurve {

    private static final double[] REPORTED_FRACTIONS = {0.3, 0.5, 0.7, 0.9, 1.0};
    private static final int CURVE_POINTS = 20;

    private final RunSpec spec;
    private final TreeSet<Integer> measuredSteps = new TreeSet<>();
    private final List<Integer> steps = new ArrayList<>();
    private final List<double[]> metrics = new ArrayList<>();
    private Integer divergedAt;

    /**
     * A curve for one run.
     *
     * @param spec the run
     * @param totalSteps the run's training steps
     */
    AccuracyCurve(RunSpec spec, int totalSteps) {
        this.spec = spec;
        for (double fraction : REPORTED_FRACTIONS) {
            measuredSteps.add(Math.max(1, (int) Math.round(fraction * totalSteps)));
        }
        for (int i = 1; i <= CURVE_POINTS; i++) {
            measuredSteps.add(Math.max(1, (int) Math.round((double) i * totalSteps / CURVE_POINTS)));
        }
    }

    /**
     * Whether the metrics are measured after a step.
     *
     * @param step the step, from 1
     * @return whether it is a measured step
     */
    boolean measuredAfter(int step) {
        return measuredSteps.contains(step);
    }

    /**
     * Records the metrics after a step (0 before training).
     *
     * @param step the step
     * @param charAccuracy character accuracy, 0 to 1
     * @param pairAccuracy pair accuracy, 0 to 1
     * @param loss the mean loss per predicted symbol
     */
    void add(int step, double charAccuracy, double pairAccuracy, double loss) {
        if (!Double.isFinite(charAccuracy) || !Double.isFinite(pairAccuracy) || !Double.isFinite(loss)) {
            divergedAt(step);
            return;
        }
        steps.add(step);
        metrics.add(new double[] {charAccuracy, pairAccuracy, loss});
    }

    /**
     * Checks a training step's loss; a loss that is not finite marks the run as diverged there.
     *
     * @param step the step
     * @param trainLoss its loss
     * @return whether the run has diverged (at this step or before)
     */
    boolean diverges(int step, double trainLoss) {
        if (!Double.isFinite(trainLoss)) {
            divergedAt(step);
        }
        return diverged();
    }

    /**
     * Whether the run diverged: a loss or metric that was not finite.
     *
     * @return whether it stopped early
     */
    boolean diverged() {
        return divergedAt != null;
    }

    private void divergedAt(int step) {
        if (divergedAt == null) {
            divergedAt = step;
        }
    }

    /**
     * The progress bar's text after a training step.
     *
     * @param trainLoss that step's loss
     * @return for example {@code loss 0.123 char acc 45.6%}
     */
    String progress(double trainLoss) {
        return String.format(Locale.ROOT, "loss %.3f char acc %.1f%%", trainLoss, 100 * last()[0]);
    }

    /**
     * The run's result.
     *
     * @param trainableParams the values trained
     * @param startNanos {@link System#nanoTime()} when the run began
     * @return the result
     */
    RunResult result(long trainableParams, long startNanos) {
        return new RunResult(
                spec.method(),
                spec.operator(),
                spec.rank(),
                spec.learningRate(),
                trainableParams,
                List.copyOf(steps),
                metrics.stream().map(m -> m[0]).toList(),
                metrics.stream().map(m -> m[1]).toList(),
                metrics.stream().map(m -> m[2]).toList(),
                last()[0],
                last()[1],
                (System.nanoTime() - startNanos) / 1e9,
                divergedAt);
    }

    private double[] last() {
        return metrics.get(metrics.size() - 1);
    }
}
