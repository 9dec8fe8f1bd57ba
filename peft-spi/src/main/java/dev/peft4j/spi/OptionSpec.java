package dev.peft4j.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One option an adapter method accepts in {@link AdapterConfig#options()}: its key, the type of
 * its value and its default. A method declares its options ({@link AdapterFactory#options()}); a
 * configuration with an unknown key or a value of the wrong type is refused before an adapter is
 * made ({@link #check}).
 *
 * @param key the option's key
 * @param type the type of its value
 * @param defaultValue the value used when it is absent, as text, or {@code null} when absence means something of its own
 */
public record OptionSpec(String key, Type type, String defaultValue) {

    private static final Pattern DECIMAL = Pattern.compile("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");

    /** The types of option values; values are strings in a configuration. */
    public enum Type {
        /** {@code true} or {@code false}. */
        BOOLEAN,
        /** A whole number that fits a Java {@code int}. */
        INTEGER,
        /** A finite decimal number. */
        NUMBER,
        /** Any text. */
        STRING
    }

    /**
     * Validates the fields.
     *
     * @param key the option's key
     * @param type the type of its value
     * @param defaultValue the default, or {@code null}
     */
    public OptionSpec {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
    }

    /**
     * Checks a method's options against its declaration.
     *
     * @param method the adapter method's name, for messages
     * @param specs the options it accepts
     * @param options the options given
     * @throws PeftException naming an unknown key (with the known ones and the closest), or a value
     *     that is not of its option's type
     */
    public static void check(String method, List<OptionSpec> specs, Map<String, String> options) {
        for (Map.Entry<String, String> option : options.entrySet()) {
            OptionSpec spec = specs.stream()
                    .filter(s -> s.key().equals(option.getKey()))
                    .findFirst()
                    .orElseThrow(() -> unknown(method, specs, option.getKey()));
            spec.checkValue(method, option.getValue());
        }
    }

    /**
     * This option's value in a configuration, checked: the given value or the default.
     *
     * @param method the adapter method's name, for messages
     * @param config the configuration
     * @return the value as text, or {@code null} when absent without a default
     * @throws PeftException when the value is not of this option's type
     */
    public String value(String method, AdapterConfig config) {
        String value = config.option(key, defaultValue);
        if (value != null) {
            checkValue(method, value);
        }
        return value;
    }

    /**
     * A {@link Type#BOOLEAN} option's value.
     *
     * @param method the adapter method's name, for messages
     * @param config the configuration
     * @return the value
     * @throws PeftException when it is not {@code true} or {@code false}
     */
    public boolean booleanValue(String method, AdapterConfig config) {
        return Boolean.parseBoolean(value(method, config));
    }

    /**
     * A {@link Type#NUMBER} option's value.
     *
     * @param method the adapter method's name, for messages
     * @param config the configuration
     * @return the value
     * @throws PeftException when it is not a finite number
     */
    public double numberValue(String method, AdapterConfig config) {
        return Double.parseDouble(value(method, config));
    }

    private void checkValue(String method, String value) {
        boolean valid = switch (type) {
            case BOOLEAN -> "true".equals(value) || "false".equals(value);
            case INTEGER -> value.matches("-?[0-9]{1,9}");
            case NUMBER -> isFiniteNumber(value);
            case STRING -> true;
        };
        if (!valid) {
            throw new PeftException("The " + method + " option " + key + " must be "
                    + switch (type) {
                        case BOOLEAN -> "true or false";
                        case INTEGER -> "an integer";
                        case NUMBER -> "a finite number";
                        case STRING -> "text";
                    }
                    + ", got '" + value + "'");
        }
    }

    private static boolean isFiniteNumber(String value) {
        return DECIMAL.matcher(value).matches() && Double.isFinite(Double.parseDouble(value));
    }

    private static PeftException unknown(String method, List<OptionSpec> specs, String key) {
        List<String> known = specs.stream().map(OptionSpec::key).sorted().toList();
        if (known.isEmpty()) {
            return new PeftException(
                    "Unknown option '" + key + "': the adapter method " + method + " takes no options");
        }
        return new PeftException("Unknown option '" + key + "' for the adapter method " + method + ". Known: " + known
                + "." + ClosestName.hint(key, known));
    }
}
