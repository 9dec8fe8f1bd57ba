package dev.peft4j.models.text;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.tree.ExpressionNode;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.ExpressionToken;
import dev.peft4j.spi.PeftException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A Hugging Face chat template (the {@code chat_template} of {@code tokenizer_config.json}): a
 * Jinja2 template that turns a conversation into the model's prompt text, rendered as
 * transformers' {@code apply_chat_template(..., tokenize=False)} renders it.
 *
 * <p>The template sees {@code messages} (a list of dicts with {@code role} and {@code content}),
 * {@code add_generation_prompt}, the tokenizer's special tokens ({@code bos_token}, {@code
 * eos_token}, ...), any extra variables, and transformers' functions {@code
 * raise_exception(message)} and {@code strftime_now(format)}. Whitespace follows Jinja2 with
 * {@code trim_blocks} and {@code lstrip_blocks}, as in transformers, including {@code {%- -%}}
 * signs and comments.
 *
 * <p>Templates render through Jinjava, adapted to Jinja2 where real templates need it: Python's
 * string methods ({@code strip}, {@code lstrip}, {@code rstrip}, {@code startswith}, {@code
 * endswith}, {@code split}, {@code rsplit}, {@code splitlines}, {@code upper}, {@code lower},
 * {@code title}, {@code capitalize}, {@code replace}, {@code find}, {@code rfind}, {@code count},
 * {@code join}, {@code isspace}, {@code isdigit}, {@code isalpha}, {@code isalnum}), string
 * indexing and slices with a step ({@code text[-1]}, {@code messages[::-1]}), Python's string
 * escapes, {@code not}'s precedence ({@code not a == b}), loop filters ({@code for m in messages if
 * m.role != 'system'}), transformers' {@code tojson}, Jinja2's {@code default} and {@code items}
 * filters and {@code iterable} test, the {@code {% generation %}} tag, and {@code True} and {@code
 * False} when a boolean is printed.
 *
 * <p>Refused when the template is made: {@code {% for %}...{% else %}}, and unknown tags, filters
 * and tests (Jinjava lacks, among others, the {@code max} and {@code min} filters). Still differing
 * from Jinja2, in ways chat templates rarely meet: printing none gives {@code ""}, not {@code
 * None}; an undefined variable {@code is none}; a string times a number and Python's {@code %}
 * formatting of strings fail; {@code first}, {@code last} and {@code list} treat a string as one
 * item; printed lists and dicts show {@code null}, {@code true} and {@code false} inside.
 */
public final class ChatTemplate {

    private static final Set<String> RESERVED = Set.of("messages", "add_generation_prompt");

    private final String source;
    private final String rewritten;
    private final Map<String, String> specialTokens;

    private ChatTemplate(String source, String rewritten, Map<String, String> specialTokens) {
        this.source = source;
        this.rewritten = rewritten;
        this.specialTokens = specialTokens;
    }

    /**
     * Parses a template.
     *
     * @param source the Jinja2 text, as in {@code tokenizer_config.json}'s {@code chat_template}
     * @param bosToken the text of the beginning-of-sequence token, seen as {@code bos_token}; null
     *     leaves {@code bos_token} undefined
     * @param eosToken the text of the end-of-sequence token, seen as {@code eos_token}; null leaves
     *     {@code eos_token} undefined
     * @return the template
     * @throws PeftException when the text is not a template peft4j can render: a syntax error, an
     *     unknown tag, an unclosed tag or string, or an unsupported construct
     */
    public static ChatTemplate of(String source, String bosToken, String eosToken) {
        Map<String, String> tokens = new LinkedHashMap<>();
        if (bosToken != null) {
            tokens.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            tokens.put("eos_token", eosToken);
        }
        return of(source, tokens);
    }

    /**
     * Parses a template with special tokens by their variable names.
     *
     * @param source the Jinja2 text
     * @param specialTokens for example {@code bos_token}, {@code eos_token}, {@code pad_token},
     *     {@code unk_token}, each to its text
     * @return the template
     * @throws PeftException as {@link #of(String, String, String)}
     */
    static ChatTemplate of(String source, Map<String, String> specialTokens) {
        Objects.requireNonNull(source, "source");
        String rewritten = JinjaRewriter.apply(source);
        JinjavaInterpreter interpreter = JinjaEngine.JINJAVA.newInterpreter();
        Node root = interpreter.parse(rewritten);
        List<TemplateError> fatal = interpreter.getErrors().stream()
                .filter(error -> error.getSeverity() == TemplateError.ErrorType.FATAL)
                .toList();
        if (!fatal.isEmpty()) {
            throw new PeftException("The chat template does not parse: " + describe(fatal), cause(fatal));
        }
        refuseForElse(root);
        refuseUnknownNames(root, interpreter);
        return new ChatTemplate(source, rewritten, Map.copyOf(specialTokens));
    }

    /**
     * The template's text, as given.
     *
     * @return the Jinja2 text
     */
    public String source() {
        return source;
    }

    /**
     * Renders a conversation.
     *
     * @param messages the conversation, in order
     * @param addGenerationPrompt whether to end with the text that starts an assistant turn
     * @return the prompt text; special tokens appear as text, to be encoded without adding more
     * @throws PeftException when the template calls {@code raise_exception} (the message is the
     *     template's) or fails to render
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation with extra template variables, as transformers passes keyword
     * arguments of {@code apply_chat_template} (for example {@code tools}, {@code
     * enable_thinking}, {@code date_string}).
     *
     * @param messages the conversation, in order
     * @param addGenerationPrompt whether to end with the text that starts an assistant turn
     * @param variables more variables by name: strings, numbers, booleans, lists and maps of them;
     *     they replace special tokens of the same name
     * @return the prompt text
     * @throws IllegalArgumentException when a variable is named {@code messages} or {@code
     *     add_generation_prompt}
     * @throws PeftException as {@link #render(List, boolean)}
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        Objects.requireNonNull(messages, "messages");
        for (String name : variables.keySet()) {
            if (RESERVED.contains(name)) {
                throw new IllegalArgumentException("The variable " + name + " is set by render itself");
            }
        }
        Map<String, Object> context = new HashMap<>(JinjaEngine.FUNCTION_NAMES);
        context.putAll(specialTokens);
        context.putAll(variables);
        List<Map<String, Object>> turns = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", message.role());
            turn.put("content", message.content());
            turns.add(turn);
        }
        context.put("messages", turns);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result;
        try {
            result = JinjaEngine.JINJAVA.renderForResult(rewritten, context);
        } catch (RuntimeException e) {
            throw new PeftException("Cannot render the chat template: " + e.getMessage(), e);
        }
        List<TemplateError> fatal = result.getErrors().stream()
                .filter(error -> error.getSeverity() == TemplateError.ErrorType.FATAL)
                .toList();
        if (!fatal.isEmpty()) {
            for (TemplateError error : fatal) {
                for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
                    if (cause instanceof PeftException raised) {
                        throw new PeftException(raised.getMessage(), raised);
                    }
                }
            }
            throw new PeftException("Cannot render the chat template: " + describe(fatal), cause(fatal));
        }
        return result.getOutput();
    }

    private static void refuseForElse(Node node) {
        for (Node child : node.getChildren()) {
            if (node instanceof TagNode parent
                    && parent.getName().equals("for")
                    && child instanceof TagNode tag
                    && tag.getName().equals("else")) {
                throw new PeftException("The chat template uses {% for %}...{% else %}...{% endfor %} (line "
                        + child.getLineNumber() + "), which peft4j does not support");
            }
            refuseForElse(child);
        }
    }

    /** Jinja2 refuses a template that names a filter or test it lacks; Jinjava ignores them. */
    private static void refuseUnknownNames(Node root, JinjavaInterpreter interpreter) {
        Set<String> unknown = new TreeSet<>();
        collectUnknownNames(root, interpreter, unknown);
        if (!unknown.isEmpty()) {
            throw new PeftException(
                    "The chat template uses " + String.join(", ", unknown) + ", which peft4j's Jinja does not have");
        }
    }

    private static void collectUnknownNames(Node node, JinjavaInterpreter interpreter, Set<String> unknown) {
        String expression = node instanceof TagNode tag
                ? tag.getHelpers()
                : node instanceof ExpressionNode && node.getMaster() instanceof ExpressionToken token
                        ? token.getExpr()
                        : null;
        if (expression != null) {
            for (String name : JinjaExpressions.filtersAndTests(expression)) {
                boolean known = name.startsWith("filter ")
                        ? interpreter.getContext().getFilter(name.substring("filter ".length())) != null
                        : interpreter.getContext().getExpTest(name.substring("test ".length())) != null;
                if (!known) {
                    unknown.add(name);
                }
            }
        }
        for (Node child : node.getChildren()) {
            collectUnknownNames(child, interpreter, unknown);
        }
    }

    private static String describe(List<TemplateError> errors) {
        return errors.stream()
                .map(error ->
                        error.getMessage() + (error.getFieldName() == null ? "" : " in '" + error.getFieldName() + "'"))
                .distinct()
                .collect(Collectors.joining("; "));
    }

    private static Throwable cause(List<TemplateError> errors) {
        return errors.stream()
                .map(TemplateError::getException)
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + source.length() + " characters]";
    }
}
