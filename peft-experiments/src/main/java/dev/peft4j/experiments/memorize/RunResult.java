package dev.peft4j.experiments.memorize;

import java.util.List;
import java.util.Optional;

/**
 * What one run measured; the field names are those of {@code report.json}'s results.
 *
 * @param method the method
 * @param operator the MoRA operator, or {@code null}
 * @param rank r
 * @param learningRate the learning rate used
 * @param trainableParams the trainable values
 * @param steps the steps at which the metrics were measured
 * @param charAccuracy character accuracy on the training pairs at each of those steps, 0 to 1
 * @param pairAccuracy exact-pair accuracy at each of those steps, 0 to 1
 * @param loss the mean cross-entropy per character at each of those steps
 * @param finalCharAccuracy the last character accuracy
 * @param finalPairAccuracy the last pair accuracy
 * @param seconds the run's wall time
 * @param divergedAtStep the step whose loss or metrics were no longer finite, where the run
 *     stopped (the measurements before it are kept), or {@code null} when it did not diverge
 */
public record RunResult(
        String method,
        String operator,
        int rank,
        float learningRate,
        long trainableParams,
        List<Integer> steps,
        List<Double> charAccuracy,
        List<Double> pairAccuracy,
        List<Double> loss,
        double finalCharAccuracy,
        double finalPairAccuracy,
        double seconds,
        Integer divergedAtStep) {

    /**
     * The divergence in words, for the terminal and the report.
     *
     * @return for example {@code lora r=8 diverged at step 2 …}, or empty when the run did not diverge
     */
    public Optional<String> divergence() {
        return Optional.ofNullable(divergedAtStep)
                .map(step -> label() + " diverged at step " + step
                        + " (the loss or a metric was no longer finite; learning rate " + learningRate
                        + "): its results stop at "
                        + "the last finite measurement; lower the rate with --lr " + method + "=VALUE");
    }

    /**
     * The character accuracy at the measured step closest to a fraction of the run.
     *
     * @param fraction a fraction of the steps, 0 to 1
     * @return the accuracy there
     */
    double charAccuracyAt(double fraction) {
        int target = (int) Math.round(fraction * steps.get(steps.size() - 1));
        int best = 0;
        for (int i = 1; i < steps.size(); i++) {
            if (Math.abs(steps.get(i) - target) < Math.abs(steps.get(best) - target)) {
                best = i;
            }
        }
        return charAccuracy.get(best);
    }

    /**
     * How the run is labelled in tables and charts.
     *
     * @return the label
     */
    String label() {
        return new RunSpec(method, operator, rank, learningRate).label();
    }
}
