package dev.peft4j.models.text;

import dev.peft4j.spi.PeftException;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods for Jinjava, which otherwise calls Java's: chat templates use
 * Python's ({@code content.startswith('<')}, {@code .split('\n')}, {@code .strip('"')}), and the
 * Java methods either do not exist or mean something else ({@code split} takes a regex).
 *
 * <p>Supported, with Python's meaning: {@code strip}, {@code lstrip}, {@code rstrip} (optional
 * characters), {@code startswith}, {@code endswith} (a string or a list of them), {@code split},
 * {@code rsplit} (optional separator and maxsplit), {@code splitlines}, {@code upper}, {@code
 * lower}, {@code title}, {@code capitalize}, {@code replace} (optional count), {@code find},
 * {@code rfind}, {@code count}, {@code join}, {@code isspace}, {@code isdigit}, {@code isalpha},
 * {@code isalnum}. Other method calls go on to Jinjava's own resolver. Also {@code text[i]}, which
 * Jinjava lacks: the character at index {@code i}, negative from the end.
 */
final class PythonStringMethods extends ELResolver {

    private static final Set<String> NAMES = Set.of(
            "strip",
            "lstrip",
            "rstrip",
            "startswith",
            "endswith",
            "split",
            "rsplit",
            "splitlines",
            "upper",
            "lower",
            "title",
            "capitalize",
            "replace",
            "find",
            "rfind",
            "count",
            "join",
            "isspace",
            "isdigit",
            "isalpha",
            "isalnum");

    private static final Pattern INDEX = Pattern.compile("-?[0-9]{1,9}");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String text) || !(method instanceof String name) || !NAMES.contains(name)) {
            return null;
        }
        Object result = call(text, name, params == null ? new Object[0] : params);
        context.setPropertyResolved(true);
        return result;
    }

    /**
     * Calls one method.
     *
     * @param text the string the method is called on
     * @param name one of the supported names
     * @param args the arguments
     * @return what Python returns: a string, a boolean, an integer or a list of strings
     * @throws PeftException when the arguments are not ones Python accepts
     */
    static Object call(String text, String name, Object[] args) {
        return switch (name) {
            case "strip" -> strip(text, characters(name, args), true, true);
            case "lstrip" -> strip(text, characters(name, args), true, false);
            case "rstrip" -> strip(text, characters(name, args), false, true);
            case "startswith" -> affixes(name, args).stream().anyMatch(text::startsWith);
            case "endswith" -> affixes(name, args).stream().anyMatch(text::endsWith);
            case "split" -> split(text, separator(name, args), maxSplit(name, args));
            case "rsplit" -> rsplit(text, separator(name, args), maxSplit(name, args));
            case "splitlines" -> splitLines(text, name, args);
            case "upper" -> noArguments(name, args, text.toUpperCase(Locale.ROOT));
            case "lower" -> noArguments(name, args, text.toLowerCase(Locale.ROOT));
            case "title" -> noArguments(name, args, title(text));
            case "capitalize" -> noArguments(name, args, capitalize(text));
            case "replace" -> replace(text, name, args);
            case "find" -> codePoints(text, text.indexOf(substring(name, args)));
            case "rfind" -> codePoints(text, text.lastIndexOf(substring(name, args)));
            case "count" -> count(text, substring(name, args));
            case "join" -> join(text, name, args);
            case "isspace" -> noArguments(name, args, all(text, PythonStringMethods::isSpace));
            case "isdigit" -> noArguments(name, args, all(text, Character::isDigit));
            case "isalpha" -> noArguments(name, args, all(text, Character::isLetter));
            case "isalnum" -> noArguments(name, args, all(text, Character::isLetterOrDigit));
            default -> throw new IllegalStateException(name);
        };
    }

    private static Object noArguments(String name, Object[] args, Object result) {
        if (args.length != 0) {
            throw misuse(name, "takes no arguments");
        }
        return result;
    }

    private static String characters(String name, Object[] args) {
        if (args.length > 1 || (args.length == 1 && args[0] != null && !(args[0] instanceof String))) {
            throw misuse(name, "takes at most one argument, a string of characters or none");
        }
        return args.length == 0 ? null : (String) args[0];
    }

    private static List<String> affixes(String name, Object[] args) {
        if (args.length == 1 && args[0] instanceof String affix) {
            return List.of(affix);
        }
        if (args.length == 1 && args[0] instanceof Iterable<?> items) {
            List<String> affixes = new ArrayList<>();
            for (Object item : items) {
                if (!(item instanceof String affix)) {
                    throw misuse(name, "takes a string or a list of strings, not a list holding " + item);
                }
                affixes.add(affix);
            }
            return affixes;
        }
        throw misuse(name, "takes one argument, a string or a list of strings");
    }

    private static String separator(String name, Object[] args) {
        if (args.length > 2 || (args.length >= 1 && args[0] != null && !(args[0] instanceof String))) {
            throw misuse(name, "takes a separator string or none, then optionally maxsplit");
        }
        String separator = args.length == 0 ? null : (String) args[0];
        if (separator != null && separator.isEmpty()) {
            throw misuse(name, "was given an empty separator");
        }
        return separator;
    }

    private static int maxSplit(String name, Object[] args) {
        if (args.length < 2) {
            return -1;
        }
        if (!(args[1] instanceof Number number)) {
            throw misuse(name, "takes an integer maxsplit, not " + args[1]);
        }
        return number.intValue();
    }

    private static String substring(String name, Object[] args) {
        if (args.length != 1 || !(args[0] instanceof String sub)) {
            throw misuse(name, "takes one argument, a string");
        }
        return sub;
    }

    /**
     * Python's {@code strip}, {@code lstrip} or {@code rstrip}.
     *
     * @param text the string
     * @param characters the characters to remove, or null for whitespace
     * @param left whether to strip the start
     * @param right whether to strip the end
     * @return the stripped string
     */
    static String strip(String text, String characters, boolean left, boolean right) {
        int begin = 0;
        int end = text.length();
        while (left && begin < end && strips(text.codePointAt(begin), characters)) {
            begin += Character.charCount(text.codePointAt(begin));
        }
        while (right && end > begin && strips(text.codePointBefore(end), characters)) {
            end -= Character.charCount(text.codePointBefore(end));
        }
        return text.substring(begin, end);
    }

    private static boolean strips(int codePoint, String characters) {
        return characters == null ? isSpace(codePoint) : characters.indexOf(codePoint) >= 0;
    }

    /** Python's {@code str.isspace} for one character. */
    private static boolean isSpace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint) || codePoint == 0x85;
    }

    /**
     * Python's {@code split}.
     *
     * @param text the string
     * @param separator the separator, or null to split at runs of whitespace
     * @param maxSplit the most splits, or -1 for all
     * @return the parts
     */
    static List<String> split(String text, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            while (true) {
                while (i < text.length() && isSpace(text.charAt(i))) {
                    i++;
                }
                if (i == text.length()) {
                    return parts;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(text.substring(i));
                    return parts;
                }
                int start = i;
                while (i < text.length() && !isSpace(text.charAt(i))) {
                    i++;
                }
                parts.add(text.substring(start, i));
            }
        }
        int start = 0;
        for (int at = text.indexOf(separator);
                at >= 0 && (maxSplit < 0 || parts.size() < maxSplit);
                at = text.indexOf(separator, start)) {
            parts.add(text.substring(start, at));
            start = at + separator.length();
        }
        parts.add(text.substring(start));
        return parts;
    }

    /**
     * Python's {@code rsplit}: as {@link #split}, the splits counted from the end.
     *
     * @param text the string
     * @param separator the separator, or null to split at runs of whitespace
     * @param maxSplit the most splits, or -1 for all
     * @return the parts
     */
    static List<String> rsplit(String text, String separator, int maxSplit) {
        if (maxSplit < 0) {
            return split(text, separator, maxSplit);
        }
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = text.length();
            while (true) {
                while (i > 0 && isSpace(text.charAt(i - 1))) {
                    i--;
                }
                if (i == 0) {
                    break;
                }
                if (parts.size() == maxSplit) {
                    parts.add(text.substring(0, i));
                    break;
                }
                int end = i;
                while (i > 0 && !isSpace(text.charAt(i - 1))) {
                    i--;
                }
                parts.add(text.substring(i, end));
            }
        } else {
            int end = text.length();
            for (int at = text.lastIndexOf(separator, end - separator.length());
                    at >= 0 && parts.size() < maxSplit;
                    at = text.lastIndexOf(separator, end - separator.length())) {
                parts.add(text.substring(at + separator.length(), end));
                end = at;
            }
            parts.add(text.substring(0, end));
        }
        Collections.reverse(parts);
        return parts;
    }

    private static List<String> splitLines(String text, String name, Object[] args) {
        boolean keepEnds = args.length == 1 && Boolean.TRUE.equals(args[0]);
        if (args.length > 1 || (args.length == 1 && !(args[0] instanceof Boolean))) {
            throw misuse(name, "takes at most one argument, keepends (a boolean)");
        }
        List<String> lines = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\n'
                    || c == '\r'
                    || c == '\u000b'
                    || c == '\u000c'
                    || c == '\u001c'
                    || c == '\u001d'
                    || c == '\u001e'
                    || c == '\u0085'
                    || c == '\u2028'
                    || c == '\u2029') {
                int next = c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n' ? i + 2 : i + 1;
                lines.add(text.substring(start, keepEnds ? next : i));
                start = next;
                i = next;
            } else {
                i++;
            }
        }
        if (start < text.length()) {
            lines.add(text.substring(start));
        }
        return lines;
    }

    private static String title(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean previousCased = false;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            out.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
            i += Character.charCount(c);
        }
        return out.toString();
    }

    private static String capitalize(String text) {
        if (text.isEmpty()) {
            return text;
        }
        int first = text.codePointAt(0);
        return new StringBuilder()
                .appendCodePoint(Character.toTitleCase(first))
                .append(text.substring(Character.charCount(first)).toLowerCase(Locale.ROOT))
                .toString();
    }

    private static String replace(String text, String name, Object[] args) {
        if (args.length < 2
                || args.length > 3
                || !(args[0] instanceof String old)
                || !(args[1] instanceof String with)
                || (args.length == 3 && !(args[2] instanceof Number))) {
            throw misuse(name, "takes two strings, old and new, then optionally an integer count");
        }
        int count = args.length == 3 ? ((Number) args[2]).intValue() : -1;
        StringBuilder out = new StringBuilder();
        int done = 0;
        if (old.isEmpty()) {
            for (int i = 0; ; ) {
                if (count < 0 || done < count) {
                    out.append(with);
                    done++;
                }
                if (i == text.length()) {
                    return out.toString();
                }
                int c = text.codePointAt(i);
                out.appendCodePoint(c);
                i += Character.charCount(c);
            }
        }
        int start = 0;
        for (int at = text.indexOf(old); at >= 0 && (count < 0 || done < count); at = text.indexOf(old, start)) {
            out.append(text, start, at).append(with);
            start = at + old.length();
            done++;
        }
        return out.append(text, start, text.length()).toString();
    }

    private static long codePoints(String text, int charIndex) {
        return charIndex < 0 ? -1 : text.codePointCount(0, charIndex);
    }

    private static long count(String text, String sub) {
        if (sub.isEmpty()) {
            return text.codePointCount(0, text.length()) + 1L;
        }
        long count = 0;
        for (int at = text.indexOf(sub); at >= 0; at = text.indexOf(sub, at + sub.length())) {
            count++;
        }
        return count;
    }

    private static String join(String separator, String name, Object[] args) {
        if (args.length != 1) {
            throw misuse(name, "takes one argument, a list of strings");
        }
        Iterable<?> items = args[0] instanceof Object[] array
                ? Arrays.asList(array)
                : args[0] instanceof Iterable<?> iterable ? iterable : null;
        if (items == null) {
            throw misuse(name, "takes a list of strings, not " + args[0]);
        }
        List<String> parts = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof String part)) {
                throw misuse(name, "takes a list of strings, not a list holding " + item);
            }
            parts.add(part);
        }
        return String.join(separator, parts);
    }

    private static boolean all(String text, IntPredicate test) {
        return !text.isEmpty() && text.codePoints().allMatch(test);
    }

    private static PeftException misuse(String name, String what) {
        return new PeftException("Chat template: str." + name + "() " + what);
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    /** {@code text[i]}: the character at a code point index, negative from the end; none when out of range. */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (!(base instanceof String text)
                || property == null
                || !INDEX.matcher(property.toString()).matches()) {
            return null;
        }
        context.setPropertyResolved(true);
        int[] codePoints = text.codePoints().toArray();
        long index = Long.parseLong(property.toString());
        long at = index < 0 ? index + codePoints.length : index;
        return at < 0 || at >= codePoints.length ? null : new String(codePoints, (int) at, 1);
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // Never resolves a property; Jinjava's own resolvers come next.
    }
}
