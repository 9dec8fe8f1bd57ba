package dev.peft4j.models.text;

import dev.peft4j.spi.PeftException;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites the text of Jinja2 tags and expressions where Jinjava reads Python's syntax
 * differently:
 *
 * <ul>
 *   <li>string literals take Python's escapes (<code>\x41</code>, <code>&#92;u00e9</code>, a
 *       backslash before a line break, ...), Jinjava's only a few: each literal is decoded as
 *       Python decodes it and written again with only {@code \\} and {@code \'} escaped;
 *   <li>{@code not} binds more loosely than comparisons, tests and filters in Python ({@code not
 *       a == b} is {@code not (a == b)}), more tightly in Jinjava: each {@code not}'s operand is
 *       put in parentheses ({@code is not} and {@code not in} are left alone);
 *   <li>Jinjava cannot parse slices with a step ({@code messages[::-1]}): they become the {@link
 *       PythonSlice} filter;
 *   <li>Jinjava ends an expression at the first <code>}}</code>, even inside a dict literal: a
 *       space goes between closing braces;
 *   <li>Jinjava ignores a loop filter ({@code {% for m in messages if m.role != 'system' %}}): the
 *       loop is preceded by one that collects the items that pass, and then goes over those, so
 *       that {@code loop.index}, {@code loop.last} and {@code loop.length} count as in Jinja2.
 * </ul>
 *
 * <p>Apart from the first, these rewrites leave string literals alone.
 */
final class JinjaExpressions {

    private JinjaExpressions() {}

    /**
     * Rewrites an expression, the text between <code>{{</code> and <code>}}</code>.
     *
     * @param expression the text
     * @return the text for Jinjava
     */
    static String rewrite(String expression) {
        return spaceBraces(steppedSlices(groupNot(plainStrings(expression))));
    }

    /**
     * Rewrites a block tag, the text between <code>{%</code> and <code>%}</code>.
     *
     * @param inner the tag's text
     * @param index a number that no other tag of the template is given, to name variables
     * @return one or more tags, delimiters included
     */
    static String rewriteTag(String inner, int index) {
        String tag = rewrite(inner);
        int forAt = skipSpaces(tag, 0);
        int in = wordAt(tag, forAt).equals("for") ? topLevelWord(tag, forAt + 3, "in") : -1;
        int filter = in < 0 ? -1 : topLevelWord(tag, in + 2, "if");
        if (filter < 0) {
            return "{%" + tag + "%}";
        }
        String target = tag.substring(forAt + 3, in).strip();
        String items = tag.substring(in + 2, filter).strip();
        String condition = tag.substring(filter + 2).strip();
        String kept = "peft4j_loop_items_" + index;
        String item = target.contains(",") ? "[" + target.replaceAll("^\\(|\\)$", "") + "]" : target;
        return "{% set " + kept + " = [] %}{% for " + target + " in " + items + " %}{% if " + condition + " %}{% do "
                + kept + ".append(" + item + ") %}{% endif %}{% endfor %}{% for " + target + " in " + kept + " %}";
    }

    /** Where a keyword stands outside strings and brackets, searching from an index; -1 if nowhere. */
    private static int topLevelWord(String text, int from, String word) {
        int depth = 0;
        int i = from;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(text, i);
                continue;
            }
            if (isWordStart(text, i)) {
                int end = wordEnd(text, i);
                if (depth == 0 && text.substring(i, end).equals(word)) {
                    return i;
                }
                i = end;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            }
            i++;
        }
        return -1;
    }

    /**
     * Writes each string literal again, decoded as Python decodes it, in single quotes with only
     * backslashes and single quotes escaped.
     *
     * @param expression a tag's or an expression's text
     * @return the text with plain string literals
     */
    static String plainStrings(String expression) {
        StringBuilder out = new StringBuilder(expression.length());
        int i = 0;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(expression, i);
                String value = pythonString(expression.substring(i + 1, Math.max(i + 1, end - 1)));
                out.append('\'')
                        .append(value.replace("\\", "\\\\").replace("'", "\\'"))
                        .append('\'');
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /**
     * The value of a Python string literal's body: its escapes decoded as Python's {@code
     * unicode-escape} codec decodes them; an unknown escape stays as it is.
     *
     * @param body the text between the quotes
     * @return the string's value
     * @throws PeftException when an <code>\x</code>, <code>&#92;u</code>, <code>\U</code> or <code>\N</code> escape is
     *     incomplete
     */
    static String pythonString(String body) {
        StringBuilder out = new StringBuilder(body.length());
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c != '\\' || i + 1 == body.length()) {
                out.append(c);
                i++;
                continue;
            }
            char next = body.charAt(i + 1);
            i += 2;
            switch (next) {
                case '\n' -> {}
                case '\\', '\'', '"' -> out.append(next);
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int digits = next == 'x' ? 2 : next == 'u' ? 4 : 8;
                    if (i + digits > body.length()
                            || !body.substring(i, i + digits).matches("[0-9a-fA-F]+")) {
                        throw new PeftException("Chat template: the string escape \\" + next + " needs " + digits
                                + " hexadecimal digits");
                    }
                    out.appendCodePoint(Integer.parseUnsignedInt(body.substring(i, i + digits), 16));
                    i += digits;
                }
                case 'N' -> {
                    int close = body.indexOf('}', i);
                    if (i >= body.length() || body.charAt(i) != '{' || close < 0) {
                        throw new PeftException("Chat template: the string escape \\N needs a {name}");
                    }
                    try {
                        out.appendCodePoint(Character.codePointOf(body.substring(i + 1, close)));
                    } catch (IllegalArgumentException e) {
                        throw new PeftException(
                                "Chat template: \\N{" + body.substring(i + 1, close) + "} names no Unicode character",
                                e);
                    }
                    i = close + 1;
                }
                default -> {
                    if (next >= '0' && next <= '7') {
                        int end = i - 1;
                        while (end < body.length()
                                && end < i + 2
                                && body.charAt(end) >= '0'
                                && body.charAt(end) <= '7') {
                            end++;
                        }
                        out.appendCodePoint(Integer.parseInt(body.substring(i - 1, end), 8));
                        i = end;
                    } else {
                        out.append('\\').append(next);
                    }
                }
            }
        }
        return out.toString();
    }

    /**
     * Puts the operand of each {@code not} operator in parentheses; {@code is not} and {@code not
     * in} are left alone. The operand ends, as in Python, at {@code and}, {@code or}, {@code if},
     * {@code else}, a comma or a closing bracket outside brackets.
     *
     * @param expression a tag's or an expression's text
     * @return the text with each {@code not}'s operand grouped
     */
    static String groupNot(String expression) {
        StringBuilder out = new StringBuilder(expression.length() + 8);
        String previousWord = "";
        int i = 0;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(expression, i);
                out.append(expression, i, end);
                previousWord = "";
                i = end;
            } else if (isWordStart(expression, i)) {
                int end = wordEnd(expression, i);
                String word = expression.substring(i, end);
                if (word.equals("not")
                        && !previousWord.equals("is")
                        && !wordAt(expression, skipSpaces(expression, end)).equals("in")) {
                    int operandEnd = operandEnd(expression, end);
                    out.append("not (")
                            .append(groupNot(expression.substring(end, operandEnd)))
                            .append(')');
                    previousWord = "";
                    i = operandEnd;
                } else {
                    out.append(word);
                    previousWord = word;
                    i = end;
                }
            } else {
                out.append(c);
                if (!Character.isWhitespace(c)) {
                    previousWord = "";
                }
                i++;
            }
        }
        return out.toString();
    }

    private static int operandEnd(String expression, int from) {
        int depth = 0;
        int i = from;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(expression, i);
                continue;
            }
            if (isWordStart(expression, i)) {
                int end = wordEnd(expression, i);
                String word = expression.substring(i, end);
                if (depth == 0
                        && (word.equals("and") || word.equals("or") || word.equals("if") || word.equals("else"))) {
                    return i;
                }
                i = end;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}' || c == ',') {
                if (depth == 0) {
                    return i;
                }
                if (c != ',') {
                    depth--;
                }
            }
            i++;
        }
        return i;
    }

    /**
     * Rewrites each {@code x[start:stop:step]} as {@code (x|peft4j_slice(start, stop, step))},
     * empty parts as {@code none}.
     *
     * @param expression a tag's or an expression's text
     * @return the text without stepped slices
     */
    static String steppedSlices(String expression) {
        StringBuilder out = new StringBuilder(expression.length());
        int i = 0;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(expression, i);
                out.append(expression, i, end);
                i = end;
                continue;
            }
            if (c == '[') {
                int close = closingBracket(expression, i);
                List<String> parts = close < 0 ? List.of() : splitTopLevel(expression.substring(i + 1, close), ':');
                int operandStart = operandStart(out);
                if (parts.size() == 3 && operandStart < out.length()) {
                    String operand = out.substring(operandStart);
                    out.setLength(operandStart);
                    out.append('(')
                            .append(operand)
                            .append('|')
                            .append(PythonSlice.NAME)
                            .append('(');
                    for (int part = 0; part < 3; part++) {
                        String text = parts.get(part).strip();
                        out.append(part > 0 ? ", " : "").append(text.isEmpty() ? "none" : steppedSlices(text));
                    }
                    out.append("))");
                    i = close + 1;
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    /** Where the operand that a subscript applies to starts: a name, dotted, called or subscripted. */
    private static int operandStart(CharSequence text) {
        int j = text.length();
        while (j > 0) {
            char c = text.charAt(j - 1);
            if (c == ')' || c == ']') {
                j = openingBracket(text, j - 1);
                if (j < 0) {
                    return text.length();
                }
            } else if (c == '\'' || c == '"') {
                int open = j - 2;
                while (open >= 0 && (text.charAt(open) != c || (open > 0 && text.charAt(open - 1) == '\\'))) {
                    open--;
                }
                if (open < 0) {
                    return text.length();
                }
                j = open;
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                j--;
            } else {
                break;
            }
        }
        return j;
    }

    private static int openingBracket(CharSequence text, int closeAt) {
        int depth = 0;
        for (int i = closeAt; i >= 0; i--) {
            char c = text.charAt(i);
            if (c == ')' || c == ']' || c == '}') {
                depth++;
            } else if (c == '(' || c == '[' || c == '{') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    private static int closingBracket(String expression, int openAt) {
        int depth = 0;
        int i = openAt;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(expression, i);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
            i++;
        }
        return -1;
    }

    private static List<String> splitTopLevel(String text, char separator) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(text, i);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == separator && depth == 0) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
            i++;
        }
        parts.add(text.substring(start));
        return parts;
    }

    /** Puts a space between two closing braces outside strings. */
    private static String spaceBraces(String expression) {
        StringBuilder out = new StringBuilder(expression.length());
        int i = 0;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(expression, i);
                out.append(expression, i, end);
                i = end;
                continue;
            }
            out.append(c);
            if (c == '}' && i + 1 < expression.length() && expression.charAt(i + 1) == '}') {
                out.append(' ');
            }
            i++;
        }
        return out.toString();
    }

    /**
     * The names of the filters ({@code x | name}) and tests ({@code x is name}, {@code x is not
     * name}) an expression uses, each prefixed with {@code "filter "} or {@code "test "}.
     *
     * @param expression a tag's or an expression's text, as rewritten
     * @return the names, in order of appearance
     */
    static List<String> filtersAndTests(String expression) {
        List<String> names = new ArrayList<>();
        int i = 0;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(expression, i);
            } else if (c == '|') {
                String name = wordAt(expression, skipSpaces(expression, i + 1));
                if (!name.isEmpty()) {
                    names.add("filter " + name);
                }
                i++;
            } else if (isWordStart(expression, i)) {
                int end = wordEnd(expression, i);
                if (expression.substring(i, end).equals("is")) {
                    int next = skipSpaces(expression, end);
                    String name = wordAt(expression, next);
                    if (name.equals("not")) {
                        name = wordAt(expression, skipSpaces(expression, next + 3));
                    }
                    if (!name.isEmpty()) {
                        names.add("test " + name);
                    }
                }
                i = end;
            } else {
                i++;
            }
        }
        return names;
    }

    private static int skipString(String expression, int quoteAt) {
        char quote = expression.charAt(quoteAt);
        for (int i = quoteAt + 1; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i + 1;
            }
        }
        return expression.length();
    }

    /** Whether a name starts here: a letter or underscore not preceded by a name's character or a dot. */
    private static boolean isWordStart(String expression, int i) {
        char c = expression.charAt(i);
        if (!(Character.isLetter(c) || c == '_')) {
            return false;
        }
        if (i == 0) {
            return true;
        }
        char before = expression.charAt(i - 1);
        return !(Character.isLetterOrDigit(before) || before == '_' || before == '.');
    }

    private static int wordEnd(String expression, int from) {
        int end = from;
        while (end < expression.length()
                && (Character.isLetterOrDigit(expression.charAt(end)) || expression.charAt(end) == '_')) {
            end++;
        }
        return end;
    }

    private static int skipSpaces(String expression, int from) {
        int i = from;
        while (i < expression.length() && Character.isWhitespace(expression.charAt(i))) {
            i++;
        }
        return i;
    }

    private static String wordAt(String expression, int at) {
        return at < expression.length() && isWordStart(expression, at)
                ? expression.substring(at, wordEnd(expression, at))
                : "";
    }
}
