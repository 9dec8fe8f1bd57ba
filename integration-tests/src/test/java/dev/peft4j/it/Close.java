package dev.peft4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Comparisons of flat float results with a tolerance relative to their magnitude. */
final class Close {

    private Close() {}

    /**
     * The largest |a − b|.
     *
     * @param a values
     * @param b values of a's length
     * @return the largest difference
     */
    static double maxDifference(float[] a, float[] b) {
        assertEquals(a.length, b.length, "lengths");
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }

    /**
     * The largest |value|, at least 1: the scale of relative tolerances.
     *
     * @param values values
     * @return the scale
     */
    static double scale(float[] values) {
        double max = 1;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /**
     * Asserts {@code max|expected − actual| ≤ tolerance · max(1, max|expected|)}.
     *
     * @param expected the reference
     * @param actual the values checked
     * @param tolerance the relative tolerance
     * @param what what is compared, for the message
     * @return the largest difference
     */
    static double assertClose(float[] expected, float[] actual, double tolerance, String what) {
        double difference = maxDifference(expected, actual);
        double bound = tolerance * scale(expected);
        assertTrue(difference <= bound, what + ": max |difference| " + difference + " exceeds " + bound);
        return difference;
    }
}
