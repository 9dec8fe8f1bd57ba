package dev.peft4j.bench;

/**
 * How a pair of operations timed side by side compared (see {@link PairedTiming}).
 *
 * @param numeratorMs the median time of the numerator's operation, in milliseconds
 * @param denominatorMs the median time of the denominator's operation, in milliseconds
 * @param numeratorMinMs the numerator's fastest round, in milliseconds
 * @param denominatorMinMs the denominator's fastest round, in milliseconds
 * @param ratio the median over rounds of {@code time(numerator)/time(denominator)}
 * @param rounds the timed rounds
 * @param numeratorPageFaults the process's minor page faults per call of the numerator: memory the
 *     allocator took from the system afresh; {@code null} without {@code /proc}
 * @param denominatorPageFaults the same for the denominator
 */
public record Timing(
        double numeratorMs,
        double denominatorMs,
        double numeratorMinMs,
        double denominatorMinMs,
        double ratio,
        int rounds,
        Double numeratorPageFaults,
        Double denominatorPageFaults) {

    /**
     * The ratio of the fastest rounds: a second opinion when the machine was busy, since the
     * fastest round of each is the one least disturbed.
     *
     * @return {@code numeratorMinMs / denominatorMinMs}
     */
    public double minRatio() {
        return numeratorMinMs / denominatorMinMs;
    }
}
