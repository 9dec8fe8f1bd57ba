package dev.peft4j.core;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DJL model with parameter-efficient adapters: the entry point of peft4j.
 *
 * <p>Wrapping freezes every parameter of the model. {@link #addAdapter} puts an adapter of the
 * configured method on each targeted linear layer (or embedding); only adapter parameters train. The adapters can
 * be merged into the base weights (one matmul per layer again), unmerged, enabled and disabled by
 * name.
 *
 * <pre>{@code
 * PeftModel peft = PeftModel.wrap(model.getBlock());
 * peft.addAdapter("default", AdapterConfig.builder("lora").setRank(8).optAlpha(16).build(),
 *         TargetModules.names("q_proj", "v_proj"));
 * model.setBlock(peft.block());   // then train with DJL's Trainer as usual
 * peft.merge();
 * }</pre>
 *
 * <p>Thread safety: concurrent inference forwards are safe, each with its own {@code
 * ParameterStore} and {@code NDManager} (as DJL's {@code Predictor} does); adding adapters,
 * enabling, merging, unmerging, restarting, invalidating caches, loading values and training need
 * exclusive access.
 */
public final class PeftModel {

    private static final Logger LOG = LoggerFactory.getLogger(PeftModel.class);

    private final Plugins plugins;
    private Block root;
    private final Map<String, AdaptedLayer> layers = new LinkedHashMap<>();
    private final Map<String, AdapterConfig> configs = new LinkedHashMap<>();
    private boolean unloaded;

    private PeftModel(Block root, Plugins plugins) {
        this.root = root;
        this.plugins = plugins;
        root.freezeParameters(true);
    }

    /**
     * Wraps an initialised model, using the plugins on the class path.
     *
     * @param root the model's block
     * @return the wrapped model
     */
    public static PeftModel wrap(Block root) {
        return wrap(root, Plugins.defaults());
    }

    /**
     * Wraps an initialised model, using a given plugin registry.
     *
     * @param root the model's block
     * @param plugins where adapter methods are looked up
     * @return the wrapped model
     */
    public static PeftModel wrap(Block root, Plugins plugins) {
        if (!root.getParameters().values().stream().allMatch(Parameter::isInitialized)) {
            throw new PeftException(
                    "Initialise or load the model before wrapping it: its parameters have no values yet");
        }
        prepareEngine(root, plugins);
        return new PeftModel(root, plugins);
    }

    /**
     * Lets the binding of the model's engine prepare it (the PyTorch binding keeps libtorch's
     * thread count, which DJL's first capability query would otherwise drop to 1).
     */
    private static void prepareEngine(Block root, Plugins plugins) {
        root.getParameters().values().stream().findFirst().ifPresent(parameter -> {
            String engine = parameter.getArray().getManager().getEngine().getEngineName();
            plugins.engines().stream()
                    .filter(binding -> binding.djlEngineName().equals(engine))
                    .findFirst()
                    .ifPresent(EngineBinding::engine);
        });
    }

    /**
     * Adds an adapter to every targeted layer: linear layers, and embeddings for methods that
     * support them ({@link AdapterFactory#supportsEmbeddings()}).
     *
     * @param name the adapter's name, unique in this model
     * @param config the method and its settings
     * @param targets which linear layers
     * @return this model
     * @throws PeftException when the name is taken, the method is unknown, an option is not one of
     *     the method's or has the wrong type, nothing matches, an embedding is targeted by a method
     *     that does not support embeddings or the adapters were unloaded
     */
    public PeftModel addAdapter(String name, AdapterConfig config, TargetModules targets) {
        requireWrapping();
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("Adapter name must not be blank");
        }
        if (configs.containsKey(name)) {
            throw new PeftException("This model already has an adapter named '" + name + "'");
        }
        AdapterFactory factory = plugins.adapter(config.method());
        factory.check(config, plugins);
        List<ModuleTree.Layer> layers = ModuleTree.layers(root);
        List<ModuleTree.Layer> selected = root instanceof OutputLayerAware model
                ? targets.select(layers, model.outputLayerPath())
                : targets.select(layers);
        requireEmbeddingSupport(factory, selected);
        List<Adapter> created = new ArrayList<>(selected.size());
        for (ModuleTree.Layer layer : selected) {
            created.add(factory.create(config.forModule(layer.path()), layer.target(), plugins));
        }
        for (int i = 0; i < selected.size(); i++) {
            adaptedLayer(selected.get(i)).addAdapter(name, created.get(i));
        }
        configs.put(name, config);
        LOG.info("Added {} adapter '{}' to {} layers; {}", config.method(), name, selected.size(), parameterReport());
        return this;
    }

    private static void requireEmbeddingSupport(AdapterFactory factory, List<ModuleTree.Layer> selected) {
        List<String> embeddings = selected.stream()
                .filter(ModuleTree.Layer::embedding)
                .map(ModuleTree.Layer::path)
                .toList();
        if (!embeddings.isEmpty() && !factory.supportsEmbeddings()) {
            throw new PeftException("The targets include the embedding" + (embeddings.size() == 1 ? " " : "s ")
                    + embeddings + ", but method '" + factory.name()
                    + "' adapts linear layers only; target linear layers, or use lora on embeddings");
        }
    }

    private AdaptedLayer adaptedLayer(ModuleTree.Layer layer) {
        if (layer.block() instanceof AdaptedLayer adapted) {
            return adapted;
        }
        BooleanSupplier modelCanLearn = () -> layers.values().stream().anyMatch(AdaptedLayer::canLearn);
        AdaptedLayer adapted = layer.embedding()
                ? new AdaptedEmbedding(layer.path(), layer.block(), layer.weight(), modelCanLearn)
                : new AdaptedLinear(layer.path(), (Linear) layer.block(), modelCanLearn);
        if (layer.parent() == null) {
            root = adapted;
        } else {
            BlockSurgery.replaceChild(root, layer.parent(), layer.childIndex(), adapted);
        }
        layers.put(layer.path(), adapted);
        return adapted;
    }

    /**
     * The model's block, to hand to DJL's {@code Model.setBlock}; it is the original root unless
     * the root itself was a targeted linear layer.
     *
     * @return the root block
     */
    public Block block() {
        return root;
    }

    /**
     * The plugin registry adapters are created from.
     *
     * @return the registry
     */
    public Plugins plugins() {
        return plugins;
    }

    /**
     * The adapted layers (linear layers and embeddings) by module path, in forward order.
     *
     * @return the layers
     */
    public Map<String, AdaptedLayer> layers() {
        return Collections.unmodifiableMap(layers);
    }

    /**
     * The names of the adapters, in the order they were added.
     *
     * @return the names
     */
    public Set<String> adapterNames() {
        return Collections.unmodifiableSet(configs.keySet());
    }

    /**
     * The configuration an adapter was added with.
     *
     * @param name the adapter
     * @return its configuration, patterns included
     */
    public AdapterConfig adapterConfig(String name) {
        requireAdapter(name);
        return configs.get(name);
    }

    /**
     * Enables or disables an adapter in every layer; a disabled adapter contributes nothing.
     *
     * @param name the adapter
     * @param enabled whether it contributes
     */
    public void setAdapterEnabled(String name, boolean enabled) {
        requireAdapter(name);
        for (AdaptedLayer layer : layers.values()) {
            if (layer.adapters().containsKey(name)) {
                layer.setEnabled(name, enabled);
            }
        }
    }

    /**
     * Makes the given adapters the active ones, as PEFT's {@code set_adapter}: they are enabled in
     * every layer, every other adapter is disabled.
     *
     * @param names the adapters to activate, at least one
     * @throws PeftException naming an unknown adapter and listing the loaded ones, or when an
     *     adapter is merged
     */
    public void setActiveAdapters(String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("Name at least one adapter to activate; to turn all off, disable them");
        }
        Set<String> active = Set.of(names);
        active.forEach(this::requireAdapter);
        for (String name : configs.keySet()) {
            setAdapterEnabled(name, active.contains(name));
        }
    }

    /**
     * The adapters that are enabled, in the order they were added.
     *
     * @return the names
     */
    public List<String> activeAdapters() {
        return configs.keySet().stream()
                .filter(name -> layers.values().stream()
                        .anyMatch(layer -> layer.adapters().containsKey(name) && layer.isEnabled(name)))
                .toList();
    }

    /**
     * Removes an adapter from every layer and releases its parameters, as PEFT's {@code
     * delete_adapter}; the other adapters and the base weights are untouched.
     *
     * @param name the adapter
     * @throws PeftException naming an unknown adapter, or when it is merged (unmerge first)
     */
    public void deleteAdapter(String name) {
        requireAdapter(name);
        for (AdaptedLayer layer : layers.values()) {
            if (layer.adapters().containsKey(name)) {
                layer.requireUnmerged(name);
            }
        }
        for (AdaptedLayer layer : layers.values()) {
            if (layer.adapters().containsKey(name)) {
                layer.deleteAdapter(name);
            }
        }
        configs.remove(name);
        LOG.info("Deleted adapter '{}'", name);
    }

    /**
     * Runs each row of the inference batches this thread forwards inside the returned scope with its
     * own adapter, as PEFT's {@code adapter_names}: every adapted layer runs each group of rows that
     * name the same adapter with that adapter alone (whether enabled or not), and rows named {@code
     * null} on the base weights. The output equals running each row alone with its adapter.
     *
     * <pre>{@code
     * try (RowAdapters rows = peft.useRowAdapters(Arrays.asList("support", "legal", null, "support"))) {
     *     logits = model.forward(batchOf4);
     * }
     * }</pre>
     *
     * @param names one adapter name per row of axis 0, {@code null} for none
     * @return the scope, to close when the forwards are done
     * @throws PeftException naming an unknown adapter and listing the loaded ones; a layer refuses a
     *     training forward, a batch whose row count differs and merged adapters
     */
    public RowAdapters useRowAdapters(List<String> names) {
        requireOpen();
        if (names.isEmpty()) {
            throw new IllegalArgumentException("Give one adapter name (or null) per row");
        }
        names.stream().filter(java.util.Objects::nonNull).forEach(this::requireAdapter);
        return RowAdapters.use(names);
    }

    /** Merges every enabled adapter into the base weights: W ← W0 + ΔW. */
    public void merge() {
        requireOpen();
        layers.values().forEach(AdaptedLayer::merge);
    }

    /** Restores the base weights W0 from the merged ones. */
    public void unmerge() {
        requireOpen();
        layers.values().forEach(AdaptedLayer::unmerge);
    }

    /**
     * Merges every enabled adapter into the base weights and takes the adapters out, as PEFT's
     * {@code merge_and_unload}: each adapted layer becomes the layer it wrapped, under
     * its original child name, so the parameters have the names they had before wrapping and hold
     * W0 + ΔW. Disabled adapters are dropped. The adapters' parameters are released; the base
     * parameters stay frozen, as wrapping left them ({@code freezeParameters(false)} to train them).
     * This object has no adapters afterwards and cannot add any: wrap the returned block again for
     * that.
     *
     * @return the plain model block, for DJL's {@code Model.setBlock} and {@code Model.save}
     * @throws PeftException when a merge fails (NaN or Inf in a merged weight)
     */
    public Block mergeAndUnload() {
        requireWrapping();
        for (ModuleTree.Layer layer : ModuleTree.layers(root)) {
            if (layer.block() instanceof AdaptedLayer adapted) {
                adapted.merge();
                Block base = adapted.unload();
                if (layer.parent() == null) {
                    root = base;
                } else {
                    BlockSurgery.replaceChild(root, layer.parent(), layer.childIndex(), base);
                }
            }
        }
        layers.clear();
        configs.clear();
        unloaded = true;
        return root;
    }

    /**
     * Merges an adapter into the base weights for good and restarts it (ReLoRA, ReMoRA): every
     * layer's W0 becomes W0 + ΔW and the adapter returns to a zero update, so the model computes
     * the same as before. The caller clears the optimizer state of the returned parameters.
     *
     * @param name the adapter
     * @return the adapter's trainable parameters, whose optimizer state is now stale
     * @throws PeftException when an adapter is merged or the method does not support restarts
     */
    public List<Parameter> mergeAndRestart(String name) {
        requireAdapter(name);
        List<Parameter> restarted = new ArrayList<>();
        for (AdaptedLayer layer : layers.values()) {
            Adapter adapter = layer.adapters().get(name);
            if (adapter != null) {
                layer.mergeAndRestart(name);
                restarted.addAll(adapter.peftParameters().values());
            }
        }
        return restarted;
    }

    /**
     * Drops what adapters cache from their parameters (DoRA's eval-mode weight norm, MoRA's folded
     * rotation blocks) and the constant arrays they keep between forwards (made again on the next
     * forward). Call it after changing adapter parameters other than by a training forward, for
     * example an optimizer step that follows an eval forward, or loading values.
     */
    public void invalidateCaches() {
        layers.values().forEach(AdaptedLayer::invalidateCaches);
    }

    /**
     * The trainable and total parameter counts.
     *
     * @return the report, printed as PEFT prints it
     */
    public ParameterReport parameterReport() {
        long trainable = 0;
        long all = 0;
        for (Parameter parameter : root.getParameters().values()) {
            long size = parameter.getShape().size();
            all += size;
            if (parameter.requiresGradient()) {
                trainable += size;
            }
        }
        return new ParameterReport(trainable, all);
    }

    private void requireWrapping() {
        requireOpen();
        if (unloaded) {
            throw new PeftException("mergeAndUnload() took this model's adapters out: wrap the block it returned "
                    + "with PeftModel.wrap to add adapters again");
        }
    }

    /** Fails with a clear message when the model's weights were released with its Model or NDManager. */
    private void requireOpen() {
        boolean released = root.getParameters().values().stream()
                .findFirst()
                .filter(Parameter::isInitialized)
                .map(parameter -> parameter.getArray().isReleased())
                .orElse(false);
        if (released) {
            throw new PeftException("The model's weights were released: its DJL Model (or the NDManager that holds "
                    + "its parameters) was closed. Use a model only inside its try-with-resources block");
        }
    }

    private void requireAdapter(String name) {
        requireOpen();
        if (!configs.containsKey(name)) {
            throw new PeftException("No adapter named '" + name + "'. Adapters: " + configs.keySet());
        }
    }
}
