package dev.peft4j.cli;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Checks of flag values before any work; each failure is a usage error (status 2) naming the flag and the value. */
public final class FlagChecks {

    private FlagChecks() {}

    /**
     * Requires a whole number within documented bounds.
     *
     * @param spec the command, for the error
     * @param flag the flag
     * @param value its value
     * @param min the smallest allowed
     * @param max the largest allowed
     * @throws ParameterException when out of bounds
     */
    public static void inRange(CommandSpec spec, String flag, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ParameterException(
                    spec.commandLine(),
                    String.format(
                            java.util.Locale.ROOT,
                            "%s %d is out of range: it must be %,d to %,d",
                            flag,
                            value,
                            min,
                            max));
        }
    }

    /**
     * Requires a finite number above 0.
     *
     * @param spec the command, for the error
     * @param flag the flag, with its key when it has one (for example {@code --lr lora})
     * @param value its value
     * @throws ParameterException when not positive and finite
     */
    public static void positiveFinite(CommandSpec spec, String flag, float value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new ParameterException(
                    spec.commandLine(), flag + " is " + value + ": it must be a finite number above 0");
        }
    }

    /**
     * Requires a list without repeated values.
     *
     * @param spec the command, for the error
     * @param flag the flag
     * @param values its values
     * @throws ParameterException naming the first repeated value
     */
    public static void distinct(CommandSpec spec, String flag, Collection<?> values) {
        Set<Object> seen = new LinkedHashSet<>();
        for (Object value : values) {
            if (!seen.add(value)) {
                throw new ParameterException(
                        spec.commandLine(), flag + " names " + value + " twice (" + values + "): give each value once");
            }
        }
    }
}
