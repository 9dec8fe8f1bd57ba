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

    /** How much slower than its fastest round a median may be before the machine counts as busy. */
    public static final double BUSY_FACTOR = 1.5;

    /**
     * Whether the machine was busy while the pair ran: a median more than {@value #BUSY_FACTOR}
     * times its fastest round. Ratios then drift towards 1 and deserve a second run.
     *
     * @return whether either side was disturbed that much
     */
    public boolean busy() {
        return numeratorMs > BUSY_FACTOR * numeratorMinMs || denominatorMs > BUSY_FACTOR * denominatorMinMs;
    }

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
