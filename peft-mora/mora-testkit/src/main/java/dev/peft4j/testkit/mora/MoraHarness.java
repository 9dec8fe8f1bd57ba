package dev.peft4j.testkit.mora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.mora.MoraFactory;
import dev.peft4j.mora.MoraOptions;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Dense;

/** MoRA adapters on one engine, created through the registry, with plain-Java inputs and outputs. */
public final class MoraHarness implements AutoCloseable {

    private final NDManager manager;
    private final Plugins plugins;

    /**
     * A harness on an engine's CPU, with the operators on the class path.
     *
     * @param engine the engine
     */
    public MoraHarness(EngineBinding engine) {
        this(engine, Plugins.defaults());
    }

    /**
     * A harness on an engine's CPU, with the operators of a registry.
     *
     * @param engine the engine
     * @param plugins where the adapter and its operators are looked up
     */
    public MoraHarness(EngineBinding engine, Plugins plugins) {
        this.manager = NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName());
        this.plugins = plugins;
    }

    /**
     * A MoRA configuration for an operator.
     *
     * @param operator the operator's name
     * @param rank r
     * @param generalized whether the generalisation is allowed
     * @return the configuration
     */
    public static AdapterConfig config(String operator, int rank, boolean generalized) {
        return AdapterConfig.builder(MoraFactory.NAME)
                .setRank(rank)
                .optOption(MoraOptions.OPERATOR, operator)
                .optOption(MoraOptions.GENERALIZED, String.valueOf(generalized))
                .build();
    }

    /**
     * Creates and initialises an adapter through the registry, as a model would.
     *
     * @param config the configuration
     * @param d out features
     * @param k in features
     * @return the adapter, M at zero
     */
    public MoraAdapter adapter(AdapterConfig config, int d, int k) {
        Adapter adapter = plugins.adapter(MoraFactory.NAME)
                .create(config, AdapterTarget.of("layer", k, d, DataType.FLOAT32), plugins);
        adapter.initialize(manager, DataType.FLOAT32, new Shape(1, k));
        return (MoraAdapter) adapter;
    }

    /**
     * Writes M and drops what the adapter cached from it, as a caller that changes M must.
     *
     * @param adapter the adapter
     * @param m the values (r̂, r̂)
     */
    public static void setM(MoraAdapter adapter, double[][] m) {
        float[] flat = new float[m.length * m.length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m.length; j++) {
                flat[i * m.length + j] = (float) m[i][j];
            }
        }
        InPlace.copy(flat, adapter.peftParameters().get(MoraAdapter.M_NAME).getArray());
        adapter.invalidateCaches();
    }

    /**
     * The adapter's inference output alone, without the base layer.
     *
     * @param adapter the adapter
     * @param x the inputs (n, k)
     * @return (n, d)
     */
    public double[][] forward(MoraAdapter adapter, double[][] x) {
        try (NDManager scope = manager.newSubManager()) {
            return Dense.fromArray(forward(adapter, Dense.toArray(scope, x)));
        }
    }

    /**
     * The adapter's inference output alone for an input of any rank.
     *
     * @param adapter the adapter
     * @param x the input (…, k)
     * @return (…, d)
     */
    public static NDArray forward(MoraAdapter adapter, NDArray x) {
        return forward(adapter, x, false);
    }

    /**
     * The adapter's output alone, in a training or an inference pass.
     *
     * @param adapter the adapter
     * @param x the input (…, k)
     * @param training whether the pass is a training one (no eval cache)
     * @return (…, d)
     */
    public static NDArray forward(MoraAdapter adapter, NDArray x, boolean training) {
        ParameterStore store = new ParameterStore(x.getManager(), false);
        return adapter.forward(store, Adapter.inputs(x, x, x), training).head();
    }

    /**
     * The adapter's output added to a layer output, as the layer adds it ({@link
     * Adapter#addForward}, inference).
     *
     * @param adapter the adapter
     * @param x the input (…, k)
     * @param layerOutput what it is added to (…, d), left unchanged
     * @return (…, d)
     */
    public static NDArray addForward(MoraAdapter adapter, NDArray x, NDArray layerOutput) {
        ParameterStore store = new ParameterStore(x.getManager(), false);
        return adapter.addForward(store, Adapter.inputs(x, null, x), layerOutput, false, false, null);
    }

    /**
     * ΔW.
     *
     * @param adapter the adapter
     * @return (d, k)
     */
    public double[][] deltaWeight(MoraAdapter adapter) {
        try (NDArray delta = adapter.deltaWeight(null)) {
            return Dense.fromArray(delta);
        }
    }

    /**
     * The manager the adapters live in.
     *
     * @return the manager
     */
    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
