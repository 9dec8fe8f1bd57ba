package dev.peft4j.bench;

import java.util.Arrays;

/**
 * Times two operations side by side in one process. After warm-up rounds, each round runs both
 * once, alternating which goes first (A B, B A, A B, …), so that changes in the machine's load
 * fall on both alike; the ratio is the median of the rounds' ratios A/B.
 */
final class PairedTiming {

    private PairedTiming() {}

    /**
     * Warms both operations up, then times them in alternating order.
     *
     * @param a the numerator's operation
     * @param b the denominator's operation
     * @param warmups the rounds run before timing
     * @param rounds the rounds timed, positive
     * @return the medians, minima and the ratio
     */
    static Timing compare(Runnable a, Runnable b, int warmups, int rounds) {
        if (rounds <= 0) {
            throw new IllegalArgumentException("Rounds must be positive, got " + rounds);
        }
        for (int i = 0; i < warmups; i++) {
            a.run();
            b.run();
        }
        double[] timesA = new double[rounds];
        double[] timesB = new double[rounds];
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                timesA[i] = millis(a);
                timesB[i] = millis(b);
            } else {
                timesB[i] = millis(b);
                timesA[i] = millis(a);
            }
            ratios[i] = timesA[i] / timesB[i];
        }
        return new Timing(
                median(timesA), median(timesB), Arrays.stream(timesA).min().orElseThrow(),
                Arrays.stream(timesB).min().orElseThrow(), median(ratios), rounds);
    }

    private static double millis(Runnable operation) {
        long start = System.nanoTime();
        operation.run();
        return (System.nanoTime() - start) / 1e6;
    }

    /**
     * The median of some values.
     *
     * @param values at least one value; not changed
     * @return the median (the mean of the middle two for an even count)
     */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
