package dev.peft4j.models.text;

import dev.peft4j.spi.PeftException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Rewrites a Jinja2 template so that Jinjava renders it as Jinja2 would, with the settings Hugging
 * Face's chat templates get ({@code trim_blocks=True}, {@code lstrip_blocks=True}, {@code
 * keep_trailing_newline=False}).
 *
 * <p>Whitespace, as Jinja2's lexer treats it: line endings become {@code \n} and one final newline
 * is dropped; <code>{%-</code>, <code>{{-</code> and <code>{#-</code> remove all whitespace before
 * the tag, <code>-%}</code>, <code>-}}</code> and <code>-#}</code> all whitespace after it; without
 * a sign, a block or comment tag that only whitespace precedes on its line takes that whitespace
 * away, and the one newline right after its <code>%}</code> or <code>#}</code> goes too;
 * <code>{%+</code> and <code>+%}</code> keep the whitespace. The signs are taken out and comments
 * removed, so Jinjava renders the result with its own trimming off; {@code {% raw %}} blocks are
 * copied untouched.
 *
 * <p>Each tag's and expression's text then goes through {@link JinjaExpressions}, which adapts
 * Python's expression syntax where Jinjava differs.
 */
final class JinjaRewriter {

    private JinjaRewriter() {}

    /**
     * Rewrites a template.
     *
     * @param template Jinja2 template text
     * @return template text for Jinjava, to render with trimming off
     * @throws PeftException when a tag, comment or string does not end
     */
    static String apply(String template) {
        String source = template.replace("\r\n", "\n").replace('\r', '\n');
        if (source.endsWith("\n")) {
            source = source.substring(0, source.length() - 1);
        }
        StringBuilder out = new StringBuilder(source.length());
        boolean lineStarting = true;
        int tags = 0;
        int pos = 0;
        while (pos < source.length()) {
            int start = nextTag(source, pos);
            if (start < 0) {
                out.append(source, pos, source.length());
                break;
            }
            char kind = source.charAt(start + 1);
            int inner = start + 2;
            char sign = inner < source.length() && isSign(source.charAt(inner)) ? source.charAt(inner) : 0;
            if (sign != 0) {
                inner++;
            }
            out.append(leadingText(source.substring(pos, start), sign, kind != '{', lineStarting));
            int end;
            if (kind == '#') {
                end = commentEnd(source, inner, start);
                pos = after(source, end, '#');
            } else {
                end = tagEnd(source, inner, kind == '%' ? '%' : '}', start);
                if (kind == '{') {
                    out.append("{{")
                            .append(JinjaExpressions.rewrite(source.substring(inner, end)))
                            .append("}}");
                } else {
                    out.append(JinjaExpressions.rewriteTag(source.substring(inner, end), tags++));
                }
                if (kind == '%' && isRaw(source, inner, end)) {
                    pos = afterRawStart(source, end);
                    pos = copyRaw(source, pos, source.charAt(pos - 1) == '\n', out, start);
                } else {
                    pos = after(source, end, kind);
                }
            }
            lineStarting = source.charAt(pos - 1) == '\n';
        }
        return out.toString();
    }

    private static boolean isSign(char c) {
        return c == '-' || c == '+';
    }

    private static int nextTag(String source, int from) {
        for (int i = source.indexOf('{', from); i >= 0 && i + 1 < source.length(); i = source.indexOf('{', i + 1)) {
            char next = source.charAt(i + 1);
            if (next == '{' || next == '%' || next == '#') {
                return i;
            }
        }
        return -1;
    }

    /** The text before a tag, trimmed as the tag's sign and lstrip_blocks say. */
    private static String leadingText(String text, char sign, boolean isBlockOrComment, boolean lineStarting) {
        if (sign == '-') {
            int end = text.length();
            while (end > 0 && Character.isWhitespace(text.charAt(end - 1))) {
                end--;
            }
            return text.substring(0, end);
        }
        if (sign == '+' || !isBlockOrComment) {
            return text;
        }
        int lineStart = text.lastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) {
            return text;
        }
        for (int i = lineStart; i < text.length(); i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return text;
            }
        }
        return text.substring(0, lineStart);
    }

    /**
     * Where a block or expression tag's closing sign or delimiter starts, skipping strings and
     * bracketed parts as Jinja2 does.
     */
    private static int tagEnd(String source, int from, char closing, int tagStart) {
        Deque<Character> brackets = new ArrayDeque<>();
        int i = from;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(source, i, tagStart);
                continue;
            }
            if (brackets.isEmpty()) {
                if (source.startsWith(closing + "}", i)) {
                    return i;
                }
                if ((c == '-' || (c == '+' && closing == '%')) && source.startsWith(closing + "}", i + 1)) {
                    return i;
                }
            }
            if (c == '(' || c == '[' || c == '{') {
                brackets.push(c);
            } else if ((c == ')' || c == ']' || c == '}') && !brackets.isEmpty()) {
                brackets.pop();
            }
            i++;
        }
        throw unclosed(source, tagStart, closing == '%' ? "'{%' has no '%}'" : "'{{' has no '}}'");
    }

    private static int stringEnd(String source, int quoteAt, int tagStart) {
        char quote = source.charAt(quoteAt);
        for (int i = quoteAt + 1; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i + 1;
            }
        }
        throw unclosed(source, tagStart, "a string in the tag has no closing " + quote);
    }

    private static int commentEnd(String source, int from, int tagStart) {
        int close = source.indexOf("#}", from);
        if (close < 0) {
            throw unclosed(source, tagStart, "'{#' has no '#}'");
        }
        return close > from && isSign(source.charAt(close - 1)) ? close - 1 : close;
    }

    /**
     * Where the text after a tag starts: past its closing delimiter and the whitespace that its
     * sign or trim_blocks removes.
     *
     * @param end where the sign or the closing delimiter starts
     */
    private static int after(String source, int end, char kind) {
        char sign = isSign(source.charAt(end)) ? source.charAt(end) : 0;
        int pos = end + (sign != 0 ? 1 : 0) + 2;
        if (sign == '-') {
            while (pos < source.length() && Character.isWhitespace(source.charAt(pos))) {
                pos++;
            }
        } else if (sign == 0 && kind != '{' && pos < source.length() && source.charAt(pos) == '\n') {
            pos++;
        }
        return pos;
    }

    private static boolean isRaw(String source, int inner, int end) {
        return source.charAt(end) != '+' && source.substring(inner, end).strip().equals("raw");
    }

    /** As {@link #after}, but Jinja2 keeps the newline after a {@code {% raw %}} tag. */
    private static int afterRawStart(String source, int end) {
        return source.charAt(end) == '-' ? after(source, end, '%') : end + 2;
    }

    /** Copies a raw block's text and its {@code endraw} tag; returns where the text after it starts. */
    private static int copyRaw(String source, int from, boolean lineStarting, StringBuilder out, int rawStart) {
        for (int start = source.indexOf("{%", from); start >= 0; start = source.indexOf("{%", start + 2)) {
            int inner = start + 2;
            char sign = inner < source.length() && isSign(source.charAt(inner)) ? source.charAt(inner) : 0;
            if (sign != 0) {
                inner++;
            }
            int close = source.indexOf("%}", inner);
            if (close < 0) {
                break;
            }
            int end = close > inner && isSign(source.charAt(close - 1)) ? close - 1 : close;
            if (source.substring(inner, end).strip().equals("endraw")) {
                out.append(leadingText(source.substring(from, start), sign, true, lineStarting));
                out.append("{% endraw %}");
                return after(source, end, '%');
            }
        }
        throw unclosed(source, rawStart, "'{% raw %}' has no '{% endraw %}'");
    }

    private static PeftException unclosed(String source, int at, String what) {
        long line = source.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
        return new PeftException(
                "Chat template line " + line + ": " + what + "; a Jinja2 template's tags and strings must be closed");
    }
}
