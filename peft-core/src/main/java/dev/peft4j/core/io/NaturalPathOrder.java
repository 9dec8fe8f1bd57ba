package dev.peft4j.core.io;

import java.math.BigInteger;
import java.util.Comparator;

/**
 * Orders dotted module paths as people read them: segment by segment, numeric segments by value,
 * so {@code h.2} comes before {@code h.10}; other segments, and a number against a word, by text.
 */
public final class NaturalPathOrder implements Comparator<String> {

    /** The one instance; the order holds no state. */
    public static final NaturalPathOrder INSTANCE = new NaturalPathOrder();

    private NaturalPathOrder() {}

    @Override
    public int compare(String left, String right) {
        String[] a = left.split("\\.", -1);
        String[] b = right.split("\\.", -1);
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int bySegment = isNumber(a[i]) && isNumber(b[i])
                    ? new BigInteger(a[i]).compareTo(new BigInteger(b[i]))
                    : a[i].compareTo(b[i]);
            if (bySegment != 0) {
                return bySegment;
            }
        }
        int byLength = Integer.compare(a.length, b.length);
        return byLength != 0 ? byLength : left.compareTo(right);
    }

    private static boolean isNumber(String segment) {
        return !segment.isEmpty() && segment.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
