package dev.peft4j.models.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.expression.ExpressionStrategy;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.mode.ExecutionMode;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.output.RenderedOutputNode;
import com.hubspot.jinjava.tree.parse.ExpressionToken;
import com.hubspot.jinjava.util.ObjectTruthValue;
import dev.peft4j.spi.PeftException;
import java.lang.reflect.Method;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * The Jinjava engine, set up as transformers sets up Jinja2 for chat templates, with what Jinjava
 * lacks or does differently:
 *
 * <ul>
 *   <li>transformers' globals {@code raise_exception(message)} and {@code strftime_now(format)},
 *       its {@code tojson} filter ({@link PythonJson}) and the {@code {% generation %}} tag
 *       (rendered as its body);
 *   <li>Jinja2's {@code default} filter (Jinjava's turns the default into text), its {@code items}
 *       filter, and its {@code iterable} and {@code sequence} tests (true for strings);
 *   <li>Python's string methods and string indexing ({@link PythonStringMethods}) and stepped
 *       slices ({@link PythonSlice});
 *   <li>Python's iteration over a dict's keys, expressions as dict keys, and Python's printing of
 *       booleans, lists and dicts.
 * </ul>
 *
 * <p>Message text is never interpreted as a template. Whitespace is left alone: {@link
 * JinjaRewriter} applies Jinja2's rules to the text beforehand.
 */
final class JinjaEngine {

    /** The engine; Jinjava renders concurrently. */
    static final Jinjava JINJAVA = create();

    /**
     * Variables that make {@code raise_exception is defined} and {@code strftime_now is defined}
     * true, as in transformers, where they are globals; calls still go to the functions.
     */
    static final Map<String, Object> FUNCTION_NAMES =
            Map.of("raise_exception", "<function raise_exception>", "strftime_now", "<function strftime_now>");

    private JinjaEngine() {}

    private static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withElResolver(resolver)
                .withNestedInterpretationEnabled(false)
                .withExecutionMode(new PythonPrinting())
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withIterateOverMapKeys(true)
                        .withEvaluateMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.registerFunction(function("raise_exception", "raiseException"));
        jinjava.registerFunction(function("strftime_now", "strftimeNow"));
        jinjava.registerFilter(new PythonJson());
        jinjava.registerFilter(new PythonSlice());
        jinjava.registerFilter(new DefaultFilter("default"));
        jinjava.registerFilter(new DefaultFilter("d"));
        jinjava.registerFilter(new ItemsFilter());
        jinjava.registerTag(new GenerationTag());
        jinjava.registerExpTest(new ContainerTest("iterable"));
        jinjava.registerExpTest(new ContainerTest("sequence"));
        return jinjava;
    }

    private static ELFunctionDefinition function(String name, String methodName) {
        try {
            Method method = JinjaEngine.class.getDeclaredMethod(methodName, String.class);
            method.setAccessible(true);
            return new ELFunctionDefinition("", name, method);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code raise_exception(message)}: stops rendering. Called through reflection.
     *
     * @param message the template's message
     * @return never returns
     * @throws PeftException always, with the message
     */
    private static String raiseException(String message) {
        throw new PeftException("The chat template raised an error: " + message);
    }

    /**
     * {@code strftime_now(format)}: the current local time, formatted with Python's strftime codes.
     * Called through reflection.
     *
     * @param format for example {@code "%d %b %Y"}
     * @return the formatted time
     */
    private static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format);
    }

    /**
     * Prints an expression's value as Python's {@code str} does where Jinjava differs: strings as
     * they are (Jinjava's printer escapes control characters), {@code True} and {@code False} for
     * booleans. Set on each render's context.
     */
    private static final class PythonPrinting implements ExecutionMode, ExpressionStrategy {

        @Override
        public void prepareContext(Context context) {
            context.setExpressionStrategy(this);
        }

        @Override
        public RenderedOutputNode interpretOutput(ExpressionToken token, JinjavaInterpreter interpreter) {
            Object value = interpreter.resolveELExpression(token.getExpr(), token.getLineNumber());
            if (value instanceof CharSequence text) {
                return new RenderedOutputNode(text.toString());
            }
            return new RenderedOutputNode(
                    value instanceof Boolean bool ? (bool ? "True" : "False") : interpreter.getAsString(value));
        }
    }

    /**
     * Jinja2's {@code default(value, boolean=False)} (and {@code d}): the value itself, not its
     * text as Jinjava's filter gives, so that {@code default(false)} is false and {@code
     * default(0) + 1} is 1.
     */
    private static final class DefaultFilter implements AdvancedFilter {

        private final String name;

        DefaultFilter(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object fallback = args.length > 0 ? args[0] : kwargs.getOrDefault("default_value", "");
            boolean ifFalse = ObjectTruthValue.evaluate(args.length > 1 ? args[1] : kwargs.get("boolean"));
            return value == null || (ifFalse && !ObjectTruthValue.evaluate(value)) ? fallback : value;
        }
    }

    /**
     * Jinja2's {@code items} filter, which Jinjava lacks: a map's {@code [key, value]} pairs, none
     * for none (Llama 3.1's template writes {@code for name, value in arguments | items}).
     */
    private static final class ItemsFilter implements AdvancedFilter {

        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (value == null) {
                return List.of();
            }
            if (!(value instanceof Map<?, ?> map)) {
                throw new PeftException("Chat template: the items filter takes a mapping, not " + value);
            }
            List<List<Object>> pairs = new ArrayList<>();
            map.forEach((key, item) -> pairs.add(Arrays.asList(key, item)));
            return pairs;
        }
    }

    /**
     * Jinja2's {@code iterable} and {@code sequence} tests, which strings pass too (Llama 3's
     * template writes {@code content is mapping or content is iterable} and expects a string to
     * pass); Jinjava's fail them.
     */
    private static final class ContainerTest implements ExpTest {

        private final String name;

        ContainerTest(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean evaluate(Object value, JinjavaInterpreter interpreter, Object... args) {
            return value instanceof CharSequence
                    || value instanceof Iterable<?>
                    || value instanceof Map<?, ?>
                    || (value != null && value.getClass().isArray());
        }
    }

    /**
     * {@code {% generation %}...{% endgeneration %}}, which marks the assistant's text for
     * transformers' {@code return_assistant_tokens_mask}; rendered here as its body.
     */
    private static final class GenerationTag implements Tag {

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }
}
