import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.PairList;
import com.google.gson.GsonBuilder;
import dev.peft4j.core.AdaptedLinear;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.core.io.SafetensorsFile;
import dev.peft4j.core.io.SafetensorsWriter;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.Plugins;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The Java side of the interop harness, run as a single source file against the CLI's class path:
 * {@code train}, {@code mora} and {@code timing}. Outside the build and CI.
 */
public final class Peft4jSide {

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        switch (args[0]) {
            case "train" -> train(Path.of(args[1]), args[2], Path.of(args[3]), List.of(args).subList(4, args.length));
            case "mora" -> mora(Path.of(args[1]));
            case "timing" -> timing(Path.of(args[1]));
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    /** A block whose children are named, so module paths read like PyTorch's; the forward chains them. */
    static final class Tree extends AbstractBlock {
        private final List<Block> chain = new ArrayList<>();

        Block add(String name, Block child) {
            chain.add(addChildBlock(name, child));
            return child;
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            NDList x = inputs;
            for (Block block : chain) {
                x = block.forward(store, x, training);
            }
            return x;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape[] shapes = inputShapes;
            for (Block block : chain) {
                shapes = block.getOutputShapes(shapes);
            }
            return shapes;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] shapes = inputShapes;
            for (Block block : chain) {
                block.initialize(manager, dataType, shapes);
                shapes = block.getOutputShapes(shapes);
            }
        }
    }

    /**
     * Builds a DJL model whose linear layers have the given module paths and the base file's
     * weights (no bias), trains an adapter of METHOD on them a few steps and saves it.
     */
    static void train(Path baseFile, String method, Path out, List<String> modules) throws Exception {
        Backend backend = Backend.select("pytorch", "cpu", Plugins.defaults());
        try (Model model = backend.newModel("interop"); SafetensorsFile base = SafetensorsFile.open(baseFile)) {
            NDManager manager = model.getNDManager();
            Tree root = new Tree();
            Map<String, Linear> layers = new LinkedHashMap<>();
            for (String module : modules) {
                Tree parent = root;
                String[] segments = module.split("\\.");
                for (int i = 0; i < segments.length - 1; i++) {
                    Block child = parent.getChildren().get(childKey(parent, segments[i]));
                    if (child == null) {
                        child = parent.add(segments[i], new Tree());
                    }
                    parent = (Tree) child;
                }
                long[] shape = base.tensor(module + ".weight").shape().getShape();
                Linear linear = Linear.builder().setUnits(shape[0]).optBias(false).build();
                parent.add(segments[segments.length - 1], linear);
                layers.put(module, linear);
            }
            long width = base.tensor(modules.get(0) + ".weight").shape().get(1);
            root.initialize(manager, DataType.FLOAT32, new Shape(1, width));
            for (Map.Entry<String, Linear> layer : layers.entrySet()) {
                float[] values = base.readFloats(layer.getKey() + ".weight");
                layer.getValue().getParameters().get("weight").getArray().set(FloatBuffer.wrap(values));
            }
            manager.getEngine().setRandomSeed(7);
            PeftModel peft = PeftModel.wrap(root).addAdapter("default",
                    AdapterConfig.builder(method).setRank(4).optAlpha(8).build(),
                    TargetModules.regex(".*"));
            model.setBlock(peft.block());
            RestartableAdamW optimizer = RestartableAdamW.builder().optLearningRateTracker(Tracker.fixed(0.01f)).build();
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(optimizer))) {
                for (int step = 0; step < 5; step++) {
                    try (NDManager batch = manager.newSubManager()) {
                        NDArray x = batch.randomNormal(new Shape(8, width));
                        NDArray y = batch.randomNormal(new Shape(8, width));
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDArray loss = trainer.getLoss().evaluate(new NDList(y), trainer.forward(new NDList(x)));
                            collector.backward(loss);
                        }
                        trainer.step();
                    }
                }
            }
            PeftAdapters.save(peft, "default", out, PathMap.identity(), baseFile.getParent().toString());
            System.out.println("saved " + method + " adapter on " + modules.size() + " modules to " + out);
        }
    }

    private static String childKey(Tree parent, String segment) {
        for (String key : parent.getChildren().keys()) {
            if (key.substring(2).equals(segment)) {
                return key;
            }
        }
        return "";
    }

    /** MoRA forward and ΔW for every official type over a few shapes, written for the Python reference to check. */
    static void mora(Path out) {
        int[][] shapes = {{8, 8, 1}, {8, 8, 2}, {16, 8, 2}, {12, 20, 3}, {64, 48, 4}, {40, 64, 8}};
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        Random random = new Random(5);
        try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            for (int type : new int[] {1, 2, 3, 4, 6}) {
                for (int[] shape : shapes) {
                    int d = shape[0], k = shape[1], r = shape[2];
                    Linear linear = Linear.builder().setUnits(d).optBias(false).build();
                    linear.initialize(manager, DataType.FLOAT32, new Shape(1, k));
                    PeftModel peft = PeftModel.wrap(linear).addAdapter("mora",
                            AdapterConfig.builder("mora").setRank(r).optOption("mora_type", Integer.toString(type))
                                    .optOption("generalized", "true").build(),
                            TargetModules.regex(".*"));
                    AdaptedLinear layer = (AdaptedLinear) peft.block();
                    var adapter = layer.adapters().get("mora");
                    var m = adapter.peftParameters().get("lora_A.weight").getArray();
                    m.set(FloatBuffer.wrap(gaussian(random, (int) m.size())));
                    NDArray x = manager.create(gaussian(random, 3 * k), new Shape(3, k));
                    NDArray w0 = layer.weight().getArray();
                    NDArray h0 = x.matMul(w0.transpose());
                    NDArray y = adapter.forward(new ParameterStore(manager, false), dev.peft4j.spi.Adapter.inputs(x, h0, w0), false).head();
                    String prefix = "type" + type + "_d" + d + "_k" + k + "_r" + r + ".";
                    tensors.put(prefix + "M", m.duplicate());
                    tensors.put(prefix + "x", x);
                    tensors.put(prefix + "forward", y);
                    tensors.put(prefix + "delta", adapter.deltaWeight(w0));
                }
            }
            SafetensorsWriter.save(out, tensors, Map.of("format", "pt"));
        }
        System.out.println("wrote " + tensors.size() / 4 + " MoRA cases to " + out);
    }

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    /** Median times of a LoRA and a DoRA layer (d = k = 1024, 256 tokens, r = 8, fp32): a train step and an eval forward. */
    static void timing(Path out) throws Exception {
        Map<String, Double> medians = new LinkedHashMap<>();
        Backend backend = Backend.select("pytorch", "cpu", Plugins.defaults());
        // Each method twice, in turn; the second, warm measurement is kept.
        for (String method : new String[] {"lora", "dora", "lora", "dora"}) {
            try (Model model = backend.newModel("timing")) {
                NDManager manager = model.getNDManager();
                Linear linear = Linear.builder().setUnits(1024).build();
                linear.initialize(manager, DataType.FLOAT32, new Shape(1, 1024));
                PeftModel peft = PeftModel.wrap(linear).addAdapter("default",
                        AdapterConfig.builder(method).setRank(8).optAlpha(16).build(), TargetModules.regex(".*"));
                model.setBlock(peft.block());
                NDArray x = manager.randomNormal(new Shape(256, 1024));
                NDArray y = manager.randomNormal(new Shape(256, 1024));
                RestartableAdamW optimizer = RestartableAdamW.builder().build();
                try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(optimizer))) {
                    medians.put(method + "_train_step_ms", median(() -> {
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDArray loss = trainer.getLoss().evaluate(new NDList(y), trainer.forward(new NDList(x)));
                            collector.backward(loss);
                            loss.getFloat();
                        }
                        trainer.step();
                    }, manager));
                }
                medians.put(method + "_eval_forward_ms", median(() -> peft.block()
                        .forward(new ParameterStore(manager, false), new NDList(x), false).head().getFloat(0L, 0L), manager));
            }
        }
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(medians), StandardCharsets.UTF_8);
        System.out.println(medians);
    }

    private static double median(Runnable body, NDManager manager) {
        double[] times = new double[40];
        for (int i = -10; i < times.length; i++) {
            try (NDManager scope = manager.newSubManager()) {
                long start = System.nanoTime();
                body.run();
                if (i >= 0) {
                    times[i] = (System.nanoTime() - start) / 1e6;
                }
            }
        }
        Arrays.sort(times);
        return times[times.length / 2];
    }
}
