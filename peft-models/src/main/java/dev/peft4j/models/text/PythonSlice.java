package dev.peft4j.models.text;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import dev.peft4j.spi.PeftException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Python's slice {@code x[start:stop:step]} of a list or a string, as a filter: {@link
 * JinjaExpressions} rewrites slices with a step, which Jinjava cannot parse, into {@code
 * (x|peft4j_slice(start, stop, step))}. A none bound is Python's omitted one.
 */
final class PythonSlice implements AdvancedFilter {

    /** The filter's name; no template uses it itself. */
    static final String NAME = "peft4j_slice";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        if (args.length != 3) {
            throw new IllegalStateException("peft4j_slice takes start, stop and step, not " + Arrays.toString(args));
        }
        Integer start = bound(args[0]);
        Integer stop = bound(args[1]);
        Integer step = bound(args[2]);
        if (step != null && step == 0) {
            throw new PeftException("Chat template: a slice step cannot be zero");
        }
        if (value instanceof String text) {
            int[] codePoints = text.codePoints().toArray();
            StringBuilder out = new StringBuilder();
            for (int i : indices(codePoints.length, start, stop, step == null ? 1 : step)) {
                out.appendCodePoint(codePoints[i]);
            }
            return out.toString();
        }
        List<Object> items = new ArrayList<>();
        if (value instanceof Iterable<?> iterable) {
            iterable.forEach(items::add);
        } else if (value instanceof Object[] array) {
            items.addAll(Arrays.asList(array));
        } else {
            throw new PeftException("Chat template: cannot slice "
                    + (value == null ? "none" : "a " + value.getClass().getSimpleName())
                    + "; slices take lists and strings");
        }
        List<Object> slice = new ArrayList<>();
        for (int i : indices(items.size(), start, stop, step == null ? 1 : step)) {
            slice.add(items.get(i));
        }
        return slice;
    }

    private static Integer bound(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Number number) {
            return number.intValue();
        }
        throw new PeftException("Chat template: slice bounds must be integers or none, not " + value);
    }

    /**
     * The indices a slice takes, as Python's {@code slice.indices}.
     *
     * @param length the sequence's length
     * @param start the first index, negative from the end, or null
     * @param stop the index not reached, negative from the end, or null
     * @param step the stride, not zero
     * @return the indices, in order
     */
    static List<Integer> indices(int length, Integer start, Integer stop, int step) {
        int lower = step > 0 ? 0 : -1;
        int upper = step > 0 ? length : length - 1;
        int first = clamp(start, step > 0 ? lower : upper, length, lower, upper);
        int end = clamp(stop, step > 0 ? upper : lower, length, lower, upper);
        List<Integer> indices = new ArrayList<>();
        for (int i = first; step > 0 ? i < end : i > end; i += step) {
            indices.add(i);
        }
        return indices;
    }

    private static int clamp(Integer index, int absent, int length, int lower, int upper) {
        if (index == null) {
            return absent;
        }
        return index < 0 ? Math.max(index + length, lower) : Math.min(index, upper);
    }
}
