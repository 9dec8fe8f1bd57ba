package dev.peft4j.models.text;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import dev.peft4j.spi.PeftException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The {@code tojson} filter as Hugging Face defines it for chat templates: Python's {@code
 * json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)}, whose output
 * ({@code {"a": 1, "b": [1, 2]}}, with spaces) differs from Jinjava's own filter.
 *
 * <p>Takes those four arguments, by position or by name. Serializes maps, lists and arrays,
 * strings, numbers, booleans and null (None); anything else is an error, as in Python.
 */
final class PythonJson implements AdvancedFilter {

    private static final List<String> PARAMETERS = List.of("ensure_ascii", "indent", "separators", "sort_keys");

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object[] options = new Object[PARAMETERS.size()];
        if (args.length > options.length) {
            throw new PeftException(
                    "Chat template: tojson takes at most " + options.length + " arguments, not " + args.length);
        }
        System.arraycopy(args, 0, options, 0, args.length);
        for (Map.Entry<String, Object> kwarg : kwargs.entrySet()) {
            int index = PARAMETERS.indexOf(kwarg.getKey());
            if (index < 0) {
                throw new PeftException(
                        "Chat template: tojson has no argument " + kwarg.getKey() + "; it takes " + PARAMETERS);
            }
            options[index] = kwarg.getValue();
        }
        boolean ensureAscii = Boolean.TRUE.equals(options[0]);
        String indent = indent(options[1]);
        String itemSeparator = indent == null ? ", " : ",";
        String keySeparator = ": ";
        if (options[2] != null) {
            List<?> separators = options[2] instanceof List<?> list
                    ? list
                    : options[2] instanceof Object[] array ? Arrays.asList(array) : List.of();
            if (separators.size() != 2
                    || !(separators.get(0) instanceof String item)
                    || !(separators.get(1) instanceof String key)) {
                throw new PeftException("Chat template: tojson's separators must be two strings, not " + options[2]);
            }
            itemSeparator = item;
            keySeparator = key;
        }
        StringBuilder out = new StringBuilder();
        new Writer(ensureAscii, indent, itemSeparator, keySeparator, Boolean.TRUE.equals(options[3]), out)
                .write(value, 0);
        return out.toString();
    }

    private static String indent(Object indent) {
        if (indent == null) {
            return null;
        }
        if (indent instanceof String text) {
            return text;
        }
        if (indent instanceof Number number) {
            return " ".repeat(Math.max(0, number.intValue()));
        }
        throw new PeftException("Chat template: tojson's indent must be an integer or a string, not " + indent);
    }

    private record Writer(
            boolean ensureAscii,
            String indent,
            String itemSeparator,
            String keySeparator,
            boolean sortKeys,
            StringBuilder out) {

        void write(Object value, int depth) {
            if (value == null) {
                out.append("null");
            } else if (value instanceof CharSequence text) {
                string(text.toString());
            } else if (value instanceof Boolean bool) {
                out.append(bool ? "true" : "false");
            } else if (value instanceof Double || value instanceof Float) {
                out.append(floatRepr(((Number) value).doubleValue()));
            } else if (value instanceof Long
                    || value instanceof Integer
                    || value instanceof Short
                    || value instanceof Byte
                    || value instanceof BigInteger) {
                out.append(value);
            } else if (value instanceof BigDecimal decimal) {
                out.append(floatRepr(decimal.doubleValue()));
            } else if (value instanceof Map<?, ?> map) {
                List<Map.Entry<String, Object>> entries = new ArrayList<>();
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    entries.add(Map.entry(key(entry.getKey()), entry.getValue() == null ? NULL : entry.getValue()));
                }
                if (sortKeys) {
                    entries.sort(Map.Entry.comparingByKey());
                }
                container('{', '}', entries, depth, (entry, d) -> {
                    string(entry.getKey());
                    out.append(keySeparator);
                    write(entry.getValue() == NULL ? null : entry.getValue(), d);
                });
            } else if (value instanceof Iterable<?> items) {
                List<Object> list = new ArrayList<>();
                items.forEach(list::add);
                container('[', ']', list, depth, this::write);
            } else if (value instanceof Object[] array) {
                container('[', ']', Arrays.asList(array), depth, this::write);
            } else {
                throw new PeftException("Chat template: tojson cannot serialize a "
                        + value.getClass().getSimpleName() + " (" + value
                        + "); it takes maps, lists, strings, numbers, booleans and none");
            }
        }

        private <T> void container(char open, char close, List<T> items, int depth, ItemWriter<T> writer) {
            out.append(open);
            if (items.isEmpty()) {
                out.append(close);
                return;
            }
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    out.append(itemSeparator);
                }
                newline(depth + 1);
                writer.write(items.get(i), depth + 1);
            }
            newline(depth);
            out.append(close);
        }

        private void newline(int depth) {
            if (indent != null) {
                out.append('\n').append(indent.repeat(depth));
            }
        }

        private static String key(Object key) {
            if (key == null) {
                return "null";
            }
            if (key instanceof String || key instanceof Number) {
                return key instanceof Double || key instanceof Float
                        ? floatRepr(((Number) key).doubleValue())
                        : key.toString();
            }
            if (key instanceof Boolean bool) {
                return bool ? "true" : "false";
            }
            throw new PeftException("Chat template: tojson takes maps whose keys are strings, not " + key);
        }

        private void string(String text) {
            out.append('"');
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }

    /** Marks a null map value, since Map.entry takes no nulls. */
    private static final Object NULL = new Object();

    @FunctionalInterface
    private interface ItemWriter<T> {
        void write(T item, int depth);
    }

    /**
     * Python's {@code repr} of a float: the shortest digits that read back, fixed notation for
     * exponents from -4 to 15, otherwise {@code 1e+16} style.
     *
     * @param value any double
     * @return its Python text
     */
    static String floatRepr(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        if (value == 0) {
            return 1 / value < 0 ? "-0.0" : "0.0";
        }
        BigDecimal decimal = new BigDecimal(Double.toString(value)).stripTrailingZeros();
        String digits = decimal.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - decimal.scale();
        String sign = value < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = decimal.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String power = String.valueOf(Math.abs(exponent));
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (power.length() < 2 ? "0" + power : power);
    }
}
