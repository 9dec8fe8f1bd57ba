package dev.peft4j.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.tracker.Tracker;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.core.train.GcSafeL2Loss;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.Plugins;
import dev.peft4j.spi.TensorChecks;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;

/**
 * One linear layer (d = k, with bias, fp32) under one {@link BenchMethod}, with a fixed input batch
 * (tokens, d) and regression target: the unit every benchmark times.
 *
 * <p>Each operation runs in a sub-manager of the model's manager, with the input and target
 * attached to it for the call, and closes it before returning, so repeated calls do not grow
 * memory; each waits for the engine to finish ({@link EngineSync}) and checks its result. A train
 * step is what a DJL user runs: {@code Trainer} forward, L2 loss, backward, {@link
 * RestartableAdamW} step. The input requires a gradient, as the input of a layer inside a deeper
 * network does, so every method computes the gradient of its input and only full fine-tuning also
 * computes the gradient of W0. Adapter parameters start perturbed away from their zero
 * initialisation, so every adapter computes a non-zero update.
 */
public final class Workload implements AutoCloseable {

    /** The adapter's name in the {@link PeftModel}. */
    public static final String ADAPTER = "bench";

    private static final float LEARNING_RATE = 1e-4f;
    private static final float PERTURBATION = 0.01f;
    private static final int SEED = 1234;
    private static final float FRESH_WEIGHT = 0.01f;

    private final Model model;
    private final Plugins plugins;
    private final BenchMethod method;
    private final BenchSize size;
    private final Block block;
    private final PeftModel peft;
    private final NDArray input;
    private final NDArray target;
    private final Trainer trainer;

    private Workload(Model model, Plugins plugins, BenchMethod method, BenchSize size) {
        this.model = model;
        this.plugins = plugins;
        this.method = method;
        this.size = size;
        NDManager manager = model.getNDManager();
        manager.getEngine().setRandomSeed(SEED);
        block = layerModel(manager, null);
        if (method.isAdapter()) {
            peft = PeftModel.wrap(block, plugins)
                    .addAdapter(ADAPTER, method.config(size.rank()), TargetModules.regex(".*"));
            perturbAdapter();
        } else {
            peft = null;
            block.freezeParameters(!method.isTrainable());
        }
        model.setBlock(block);
        Shape batch = new Shape(size.tokens(), size.features());
        input = manager.randomUniform(-1f, 1f, batch);
        target = manager.randomUniform(-1f, 1f, batch);
        if (method.isTrainable()) {
            input.setRequiresGradient(true);
            RestartableAdamW optimizer = RestartableAdamW.builder()
                    .optLearningRateTracker(Tracker.fixed(LEARNING_RATE))
                    .build();
            trainer = model.newTrainer(new DefaultTrainingConfig(new GcSafeL2Loss())
                    .optOptimizer(optimizer)
                    .optDevices(new Device[] {manager.getDevice()}));
        } else {
            trainer = null;
        }
    }

    /**
     * Builds a workload on a new model of the backend's engine and device; the caller closes it.
     *
     * @param backend the engine and device
     * @param plugins where the adapter methods are looked up
     * @param method what runs on the layer
     * @param size the layer and batch
     * @return the workload
     */
    public static Workload create(Backend backend, Plugins plugins, BenchMethod method, BenchSize size) {
        Model model = backend.newModel("bench-" + method.name());
        try {
            return new Workload(model, plugins, method, size);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private void perturbAdapter() {
        for (Parameter parameter : adapterParameters(peft)) {
            NDArray value = parameter.getArray();
            try (NDArray noise =
                    value.getManager().randomNormal(0f, PERTURBATION, value.getShape(), value.getDataType())) {
                value.addi(noise);
            }
        }
        peft.invalidateCaches();
    }

    /**
     * The method this workload runs.
     *
     * @return the method
     */
    public BenchMethod method() {
        return method;
    }

    /**
     * The layer and batch sizes.
     *
     * @return the size
     */
    public BenchSize size() {
        return size;
    }

    /**
     * The manager that owns the model's parameters, the input and everything an operation creates.
     *
     * @return the model's manager
     */
    public NDManager manager() {
        return model.getNDManager();
    }

    /**
     * One forward pass of the batch; in training mode it records the graph as a training forward
     * does, without a backward.
     *
     * @param training whether it is a training forward
     * @return the output's shape, checked to be (tokens, d)
     */
    public Shape forward(boolean training) {
        try (NDManager call = openCall()) {
            NDArray output;
            if (training) {
                try (GradientCollector ignored = call.getEngine().newGradientCollector()) {
                    output = predict(call, true);
                }
            } else {
                output = predict(call, false);
            }
            EngineSync.await(call);
            Shape shape = output.getShape();
            if (!shape.equals(input.getShape())) {
                throw new IllegalStateException(
                        method + " forward gave shape " + shape + ", expected " + input.getShape());
            }
            return shape;
        }
    }

    /**
     * One training step: forward, L2 loss, backward, optimizer update.
     *
     * @return the loss before the update, checked to be finite
     * @throws IllegalStateException for {@code base}, which has nothing to train
     */
    public float trainStep() {
        if (trainer == null) {
            throw new IllegalStateException("Method " + method + " has nothing to train");
        }
        try (NDManager call = openCall()) {
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDArray output = trainer.forward(new NDList(input)).singletonOrThrow();
                NDArray value = trainer.getLoss().evaluate(new NDList(target), new NDList(output));
                collector.backward(value);
                loss = value.getFloat();
            }
            trainer.step();
            EngineSync.await(call);
            if (!Float.isFinite(loss)) {
                throw new IllegalStateException(method + " train step gave a non-finite loss " + loss);
            }
            return loss;
        }
    }

    /** Merges the adapter into the base weight. */
    public void merge() {
        requirePeft().merge();
        EngineSync.await(manager());
    }

    /** Restores the base weight from the merged one. */
    public void unmerge() {
        requirePeft().unmerge();
        EngineSync.await(manager());
    }

    /**
     * The adapter on the layer.
     *
     * @return the adapter
     * @throws IllegalStateException for {@code base} and {@code fft}
     */
    public Adapter adapter() {
        return layer().adapters().get(ADAPTER);
    }

    /**
     * Whether the adapter is merged into the base weight.
     *
     * @return whether merged
     */
    public boolean isMerged() {
        return layer().isMerged();
    }

    /**
     * Saves the adapter as a PEFT directory.
     *
     * @param directory the directory, created or overwritten
     */
    public void save(Path directory) {
        PeftAdapters.save(requirePeft(), ADAPTER, directory, PathMap.identity(), (String) null);
    }

    /**
     * A fresh model of this workload's shape, its weight a constant (cheap to fill, and with the
     * positive row norms DoRA needs), wrapped, to load an adapter into.
     *
     * @param manager owns its parameters; the caller closes it
     * @return the wrapped model, without adapters
     */
    public PeftModel freshModel(NDManager manager) {
        return PeftModel.wrap(layerModel(manager, new ConstantInitializer(FRESH_WEIGHT)), plugins);
    }

    /** The model: the linear layer as child {@code 0}, the path its adapter is saved under. */
    private Block layerModel(NDManager manager, Initializer weights) {
        Linear linear = Linear.builder().setUnits(size.features()).build();
        if (weights != null) {
            linear.setInitializer(weights, Parameter.Type.WEIGHT);
        }
        SequentialBlock model = new SequentialBlock().add(linear);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, size.features()));
        return model;
    }

    /**
     * Loads a directory written by {@link #save} into a model from {@link #freshModel}.
     *
     * @param into the model
     * @param directory the PEFT directory
     */
    public static void load(PeftModel into, Path directory) {
        PeftAdapters.load(into, ADAPTER, directory, PathMap.identity());
    }

    /**
     * The sum of a model's adapter values, to compare a loaded adapter with the saved one.
     *
     * @param model a model with the adapter {@value #ADAPTER}
     * @return the sum
     */
    public static double adapterChecksum(PeftModel model) {
        return sum(adapterParameters(model));
    }

    /**
     * The sum of the values this method trains: the adapter's, or the layer's weight and bias.
     *
     * @return the sum
     * @throws IllegalStateException for {@code base}
     */
    public double trainableChecksum() {
        if (!method.isTrainable()) {
            throw new IllegalStateException("Method " + method + " has nothing to train");
        }
        return peft == null ? sum(block.getParameters().values()) : adapterChecksum(peft);
    }

    /**
     * The sum of the adapted layer's base weight, W0 or W0 with the adapter merged in.
     *
     * @return the sum
     * @throws IllegalStateException for {@code base} and {@code fft}
     */
    public double weightChecksum() {
        return sum(List.of(layer().weight()));
    }

    /**
     * Checks that an eval forward gives only finite values.
     *
     * @throws IllegalStateException naming the method and the first bad index
     */
    public void validate() {
        try (NDManager call = openCall()) {
            OptionalLong bad = TensorChecks.firstNonFinite(predict(call, false));
            if (bad.isPresent()) {
                throw new IllegalStateException(
                        method + " (" + size + ") gave a non-finite output at flat index " + bad.getAsLong());
            }
        }
    }

    private NDArray predict(NDManager call, boolean training) {
        return block.forward(new ParameterStore(call, false), new NDList(input), training)
                .singletonOrThrow();
    }

    /** A sub-manager that owns what the call creates; input and target are attached to it until it closes. */
    private NDManager openCall() {
        NDManager call = manager().newSubManager();
        input.tempAttach(call);
        target.tempAttach(call);
        return call;
    }

    private PeftModel requirePeft() {
        if (peft == null) {
            throw new IllegalStateException("Method " + method + " has no adapter");
        }
        return peft;
    }

    private AdaptedLayer layer() {
        return requirePeft().layers().values().iterator().next();
    }

    private static Collection<Parameter> adapterParameters(PeftModel model) {
        return model.layers()
                .values()
                .iterator()
                .next()
                .adapters()
                .get(ADAPTER)
                .peftParameters()
                .values();
    }

    private static double sum(Collection<Parameter> parameters) {
        double total = 0;
        for (Parameter parameter : parameters) {
            try (NDArray sum = parameter.getArray().sum()) {
                total += sum.getFloat();
            }
        }
        return total;
    }

    @Override
    public void close() {
        if (trainer != null) {
            trainer.close();
        }
        model.close();
    }

    @Override
    public String toString() {
        return method + " (" + size + ")";
    }
}
