package dev.peft4j.bench;

/**
 * One line of the benchmark report: a measured value beside its published anchor and, where the
 * project sets one, its target (the largest acceptable value).
 *
 * @param name the ratio's name, for example {@code merged_forward/base_forward}
 * @param value the measured value
 * @param unit how to read the value: {@code ratio}, {@code fraction}, {@code us} (microseconds) or
 *     {@code arrays} (a count)
 * @param target the largest acceptable value, or {@code null} for an informational entry
 * @param anchor the published or physical value it is compared with, and its source
 * @param definition what exactly was measured
 * @param meetsTarget whether {@code value ≤ target}, or {@code null} without a target
 * @param timing the pair timed side by side that the value comes from, or {@code null}
 */
public record Ratio(
        String name,
        double value,
        String unit,
        Double target,
        String anchor,
        String definition,
        Boolean meetsTarget,
        Timing timing) {

    /** The unit of a ratio of two measurements. */
    public static final String RATIO = "ratio";
    /** The unit of a relative change. */
    public static final String FRACTION = "fraction";
    /** Microseconds. */
    public static final String MICROS = "us";
    /** A count of NDArrays. */
    public static final String ARRAYS = "arrays";

    /**
     * An entry of the targets table.
     *
     * @param name the name
     * @param value the measured value
     * @param target the largest acceptable value
     * @param anchor the anchor
     * @param definition what was measured
     * @param timing the pair it comes from
     * @return the entry
     */
    static Ratio targeted(String name, double value, double target, String anchor, String definition, Timing timing) {
        return new Ratio(name, value, RATIO, target, anchor, definition, value <= target, timing);
    }

    /**
     * An informational entry, without a target.
     *
     * @param name the name
     * @param value the measured value
     * @param unit how to read the value
     * @param anchor the anchor
     * @param definition what was measured
     * @param timing the pair it comes from, or {@code null} when it is not a timed pair
     * @return the entry
     */
    static Ratio informational(
            String name, double value, String unit, String anchor, String definition, Timing timing) {
        return new Ratio(name, value, unit, null, anchor, definition, null, timing);
    }
}
