package dev.peft4j.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Which adapter each row of an inference batch runs with (PEFT's {@code adapter_names}), for the
 * forwards the current thread runs inside {@link PeftModel#useRowAdapters}. Every adapted layer
 * groups the rows of its input (axis 0) by name and runs each group with its adapter alone; a row
 * named {@code null} runs on the base weights. Outside such a scope the enabled adapters run as
 * usual.
 */
public final class RowAdapters implements AutoCloseable {

    private static final ThreadLocal<List<String>> CURRENT = new ThreadLocal<>();

    private final List<String> previous;

    private RowAdapters(List<String> names) {
        this.previous = CURRENT.get();
        CURRENT.set(Collections.unmodifiableList(new ArrayList<>(names)));
    }

    /**
     * Starts a scope in which forwards on this thread run each row with its adapter.
     *
     * @param names one adapter name per row, {@code null} for the base model
     * @return the scope; closing it restores the previous one
     */
    static RowAdapters use(List<String> names) {
        return new RowAdapters(names);
    }

    /**
     * The names of the current scope.
     *
     * @return one name per row, or {@code null} outside a scope
     */
    static List<String> current() {
        return CURRENT.get();
    }

    @Override
    public void close() {
        if (previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(previous);
        }
    }
}
