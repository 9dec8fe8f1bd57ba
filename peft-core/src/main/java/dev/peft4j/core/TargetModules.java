package dev.peft4j.core;

import dev.peft4j.spi.PeftException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which layers get an adapter, with the semantics of PEFT's {@code target_modules}: a list of
 * names, each matching a module path exactly or as its last dotted segments; one regular expression
 * matched against the whole path; or {@code all-linear}, every linear layer except the output layer
 * (the one an {@link OutputLayerAware} model names, else the last linear layer in forward order).
 * Names and expressions select embeddings too ({@code embed_tokens}); all-linear never does.
 */
public final class TargetModules {

    /** PEFT's keyword for every linear layer but the output layer. */
    public static final String ALL_LINEAR = "all-linear";

    /**
     * Put before a regex when it is compiled; it matches nothing and changes no meaning. The JDK
     * sets up a Boyer–Moore search for a pattern that starts with a literal, in time quadratic in
     * the literal's length (80 s for 300,000 characters); behind a group it does not.
     */
    private static final String EMPTY_GROUP = "(?:)";

    private final List<String> names;
    private final Pattern regex;
    private final boolean allLinear;

    private TargetModules(List<String> names, Pattern regex, boolean allLinear) {
        this.names = names;
        this.regex = regex;
        this.allLinear = allLinear;
    }

    /**
     * Layers whose path equals a name or ends with {@code "." + name}.
     *
     * @param names the names, for example {@code q_proj}, {@code attn.v_proj}
     * @return the targets
     */
    public static TargetModules names(String... names) {
        return names(List.of(names));
    }

    /**
     * Layers whose path equals a name or ends with {@code "." + name}.
     *
     * @param names the names
     * @return the targets
     */
    public static TargetModules names(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("Target module names must not be empty");
        }
        for (String name : names) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("Target module names must not be blank: " + names);
            }
        }
        if (names.size() == 1 && ALL_LINEAR.equals(names.get(0))) {
            return allLinear();
        }
        return new TargetModules(List.copyOf(names), null, false);
    }

    /**
     * Layers whose whole path matches a regular expression.
     *
     * @param regex the expression
     * @return the targets
     */
    public static TargetModules regex(String regex) {
        try {
            return new TargetModules(List.of(), Pattern.compile(EMPTY_GROUP + regex), false);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(
                    "Invalid target_modules regex '" + regex + "': " + e.getDescription(), e);
        }
    }

    /**
     * Every linear layer except the output layer.
     *
     * @return the targets
     */
    public static TargetModules allLinear() {
        return new TargetModules(List.of(), null, true);
    }

    /**
     * The layers selected among a model's layers, the last linear one being the output layer.
     *
     * @param layers the model's layers in forward order
     * @return the selected ones, in the same order
     * @throws PeftException naming the pattern and listing the layers when nothing matches
     */
    public List<ModuleTree.Layer> select(List<ModuleTree.Layer> layers) {
        List<ModuleTree.Layer> linear =
                layers.stream().filter(layer -> !layer.embedding()).toList();
        return select(
                layers, linear.isEmpty() ? null : linear.get(linear.size() - 1).path());
    }

    /**
     * The layers selected among a model's layers.
     *
     * @param layers the model's layers (linear and embeddings) in forward order
     * @param outputLayerPath the output layer's path, which all-linear leaves out (it need not be
     *     among the linear layers), or {@code null} for none
     * @return the selected ones, in the same order
     * @throws PeftException naming the pattern and listing the layers when nothing matches
     */
    public List<ModuleTree.Layer> select(List<ModuleTree.Layer> layers, String outputLayerPath) {
        List<ModuleTree.Layer> selected = new ArrayList<>();
        for (ModuleTree.Layer layer : layers) {
            boolean isOutputLayer = layer.path().equals(outputLayerPath);
            if (allLinear ? !isOutputLayer && !layer.embedding() : matches(layer.path())) {
                selected.add(layer);
            }
        }
        if (selected.isEmpty()) {
            List<String> paths = layers.stream().map(ModuleTree.Layer::path).toList();
            throw new PeftException(
                    "Target modules " + this + " matched no layer. Linear layers and embeddings found: " + paths);
        }
        return selected;
    }

    private boolean matches(String path) {
        if (regex != null) {
            return regex.matcher(path).matches();
        }
        return names.stream().anyMatch(name -> path.equals(name) || path.endsWith("." + name));
    }

    @Override
    public String toString() {
        return allLinear
                ? ALL_LINEAR
                : regex != null ? "regex '" + regex.pattern().substring(EMPTY_GROUP.length()) + "'" : names.toString();
    }
}
