package dev.peft4j.it;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.TestModels;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The model the integration tests adapt: an MLP 16 → 24 → 24 → 8 with tanh between the layers and
 * seeded weights, identical on every engine; adapters go on all three linear layers (paths {@code
 * 0}, {@code 2}, {@code 4}), so d &gt; k, d = k and d &lt; k all occur.
 */
final class Mlp {

    /** Input width, then each linear layer's output width. */
    static final int[] WIDTHS = {16, 24, 24, 8};
    /** The adapter name the tests use. */
    static final String ADAPTER = "default";

    private static final long SEED = 17;

    private Mlp() {}

    /**
     * The base model, wrapped.
     *
     * @param manager owns the weights
     * @param plugins where adapter methods are looked up
     * @return the model, no adapter yet
     */
    static PeftModel wrap(NDManager manager, Plugins plugins) {
        return PeftModel.wrap(TestModels.mlp(manager, SEED, WIDTHS), plugins);
    }

    /**
     * The base model with an adapter named {@value #ADAPTER} on every linear layer.
     *
     * @param manager owns the weights
     * @param config the adapter
     * @param plugins where adapter methods are looked up
     * @return the adapted model
     */
    static PeftModel adapted(NDManager manager, AdapterConfig config, Plugins plugins) {
        return wrap(manager, plugins).addAdapter(ADAPTER, config, TargetModules.regex(".*"));
    }

    /**
     * A batch of seeded normal inputs.
     *
     * @param manager owns the array
     * @param seed the values' seed
     * @param rows the batch size
     * @return (rows, 16)
     */
    static NDArray input(NDManager manager, long seed, int rows) {
        return Dense.toArray(manager, Dense.random(new Random(seed), rows, WIDTHS[0]));
    }

    /**
     * An inference forward.
     *
     * @param model the model
     * @param input the batch
     * @return the outputs, flat
     */
    static float[] predict(PeftModel model, NDArray input) {
        return TestModels.predict(model.block(), input).toFloatArray();
    }

    /**
     * Overwrites every adapter parameter with seeded normal values (times 0.5, over √fan-in for
     * matrices), in layer, adapter and parameter order, so two engines get the same values.
     *
     * @param model the model
     * @param seed the values' seed
     */
    static void randomizeAdapters(PeftModel model, long seed) {
        Random random = new Random(seed);
        for (AdaptedLayer layer : model.layers().values()) {
            for (Adapter adapter : layer.adapters().values()) {
                TestModels.randomize(adapter, random, 0.5);
                adapter.invalidateCaches();
            }
        }
    }

    /**
     * Each layer's base weight W, copied.
     *
     * @param model the model
     * @return the values by layer path
     */
    static Map<String, float[]> baseWeights(PeftModel model) {
        Map<String, float[]> weights = new LinkedHashMap<>();
        model.layers()
                .forEach((path, layer) ->
                        weights.put(path, layer.weight().getArray().toFloatArray()));
        return weights;
    }

    /**
     * Each layer's ΔW for the adapter {@value #ADAPTER}, computed from the layer's current weight.
     *
     * @param model the model, unmerged
     * @return the values (d·k, row-major) by layer path
     */
    static Map<String, float[]> deltaWeights(PeftModel model) {
        Map<String, float[]> deltas = new LinkedHashMap<>();
        model.layers().forEach((path, layer) -> {
            try (NDArray delta =
                    layer.adapters().get(ADAPTER).deltaWeight(layer.weight().getArray())) {
                deltas.put(path, delta.toFloatArray());
            }
        });
        return deltas;
    }
}
