package dev.peft4j.bench;

import java.util.Arrays;
import java.util.OptionalLong;

/**
 * Times two operations side by side in one process. After warm-up rounds (enough of them, and for
 * long enough, that the JIT has compiled both operations' Java paths: in a cold JVM its compiler
 * threads share the cores with the engine's), each round runs both once, alternating which goes
 * first (A B, B A, A B, …), so that changes in the machine's load fall on both alike; the ratio is
 * the median of the rounds' ratios A/B. A time budget bounds a pair's rounds on a busy machine.
 */
final class PairedTiming {

    private PairedTiming() {}

    /**
     * Warms both operations up for at least {@code warmups} rounds and {@code warmupSeconds}, then
     * times them in alternating order until the rounds are done or the time budget is spent,
     * whichever comes first, but at least {@code minRounds} rounds.
     *
     * @param a the numerator's operation
     * @param b the denominator's operation
     * @param warmups the fewest rounds run before timing
     * @param warmupSeconds the least time the warm-up rounds take
     * @param minRounds the rounds timed whatever the budget, positive
     * @param maxRounds the most rounds timed, at least {@code minRounds}
     * @param budgetSeconds the time after which no further round starts once {@code minRounds} are done
     * @return the medians, minima and the ratio
     */
    static Timing compare(
            Runnable a,
            Runnable b,
            int warmups,
            double warmupSeconds,
            int minRounds,
            int maxRounds,
            double budgetSeconds) {
        if (minRounds <= 0 || maxRounds < minRounds) {
            throw new IllegalArgumentException(
                    "Rounds must satisfy 0 < min ≤ max, got min=" + minRounds + ", max=" + maxRounds);
        }
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmups || System.nanoTime() < warmupEnd; i++) {
            a.run();
            b.run();
        }
        long deadline = System.nanoTime() + (long) (budgetSeconds * 1e9);
        Side numerator = new Side(a, maxRounds);
        Side denominator = new Side(b, maxRounds);
        double[] ratios = new double[maxRounds];
        int rounds = 0;
        while (rounds < maxRounds && (rounds < minRounds || System.nanoTime() < deadline)) {
            if (rounds % 2 == 0) {
                numerator.time(rounds);
                denominator.time(rounds);
            } else {
                denominator.time(rounds);
                numerator.time(rounds);
            }
            ratios[rounds] = numerator.millis[rounds] / denominator.millis[rounds];
            rounds++;
        }
        double[] timedA = Arrays.copyOf(numerator.millis, rounds);
        double[] timedB = Arrays.copyOf(denominator.millis, rounds);
        return new Timing(
                median(timedA),
                median(timedB),
                Arrays.stream(timedA).min().orElseThrow(),
                Arrays.stream(timedB).min().orElseThrow(),
                median(Arrays.copyOf(ratios, rounds)),
                rounds,
                numerator.faultsPerCall(rounds),
                denominator.faultsPerCall(rounds));
    }

    /** One operation of the pair: its times and the page faults its calls caused. */
    private static final class Side {
        private final Runnable operation;
        private final double[] millis;
        private long faults;
        private boolean faultsKnown = true;

        Side(Runnable operation, int rounds) {
            this.operation = operation;
            this.millis = new double[rounds];
        }

        void time(int round) {
            OptionalLong before = ProcessStats.minorFaults();
            millis[round] = PairedTiming.millis(operation);
            OptionalLong after = ProcessStats.minorFaults();
            faultsKnown &= before.isPresent() && after.isPresent();
            if (faultsKnown) {
                faults += after.getAsLong() - before.getAsLong();
            }
        }

        Double faultsPerCall(int rounds) {
            return faultsKnown ? faults / (double) rounds : null;
        }
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
