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
import ai.djl.training.tracker.Tracker;
import ai.djl.util.PairList;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.AdaptedLinear;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.core.train.GcSafeL2Loss;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.models.CausalLm;
import dev.peft4j.models.GenerationConfig;
import dev.peft4j.models.Generator;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.Plugins;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The Java side of the interop harness, run as a single source file against the CLI's class path:
 * {@code train}, {@code mora}, {@code timing-server}, {@code logits} (a peft-models CausalLm's logits, with an
 * optional PEFT adapter), {@code peer} (speed and memory of a real-size model) and {@code train-peer} (one
 * LoRA training step of a real-size model). Outside the build and CI.
 */
public final class Peft4jSide {

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        switch (args[0]) {
            case "train" -> train(Path.of(args[1]), args[2], Path.of(args[3]), List.of(args).subList(4, args.length));
            case "mora" -> mora(Path.of(args[1]));
            case "timing-server" -> timingServer();
            case "logits" -> logits(Path.of(args[1]), Path.of(args[2]));
            case "peer" -> peer(Path.of(args[1]), Path.of(args[2]));
            case "train-peer" -> trainPeer(Path.of(args[1]), Path.of(args[2]));
            case "mixed-batch" -> mixedBatch(Path.of(args[1]), Path.of(args[2]));
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
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(new GcSafeL2Loss()).optOptimizer(optimizer))) {
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

    /**
     * Serves the layer-level peer timing (interop/checks.py's peer_speed) over stdin/stdout, one command
     * per line, so that the two sides' runs interleave: {@code case METHOD D R} sets up a layer of d = k = D
     * with an adapter of rank R and 256-token inputs (answering {"m": r̂} for MoRA, {} otherwise); {@code run
     * train_step|eval_forward N} times N calls and answers their milliseconds as a JSON array; {@code quit}
     * ends. Every call owns what it creates (x and y are attached to the call's manager, as the bench's
     * Workload does), so temporaries are freed per call as PyTorch frees them by reference count.
     */
    static void timingServer() throws Exception {
        Backend backend = Backend.select("pytorch", "cpu", Plugins.defaults());
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
        TimedCase current = null;
        try {
            for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
                String[] words = line.trim().split(" ");
                if (words[0].equals("case")) {
                    if (current != null) {
                        current.close();
                    }
                    current = new TimedCase(backend, words[1], Integer.parseInt(words[2]), Integer.parseInt(words[3]));
                    System.out.println(current.reducedRank > 0 ? "{\"m\": " + current.reducedRank + "}" : "{}");
                } else {
                    Runnable body = words[1].equals("train_step") ? current::trainStep : current::evalForward;
                    System.out.println(Arrays.toString(current.times(body, Integer.parseInt(words[2]))));
                }
                System.out.flush();
            }
        } finally {
            if (current != null) {
                current.close();
            }
        }
    }

    /** One layer-level peer case: a d × d linear layer with an adapter (none for "base", the control), its trainer and its inputs. */
    private static final class TimedCase implements AutoCloseable {
        private static final int TOKENS = 256;
        private final Model model;
        private final Block block;
        private final Trainer trainer;
        private final NDArray x;
        private final NDArray y;
        private final long reducedRank;

        TimedCase(Backend backend, String method, int d, int r) {
            model = backend.newModel("timing");
            NDManager manager = model.getNDManager();
            Linear linear = Linear.builder().setUnits(d).build();
            linear.initialize(manager, DataType.FLOAT32, new Shape(1, d));
            if (method.equals("base")) { // the control: the frozen layer alone, no adapter
                linear.freezeParameters(true);
                block = linear;
                reducedRank = 0;
            } else {
                block = PeftModel.wrap(linear).addAdapter("default", timedConfig(method, r), TargetModules.regex(".*")).block();
                var adapter = ((AdaptedLayer) block).adapters().get("default");
                for (var parameter : adapter.peftParameters().values()) {
                    NDArray value = parameter.getArray();
                    dev.peft4j.spi.InPlace.copy(
                            value.getManager().randomNormal(0, 0.01f, value.getShape(), value.getDataType()), value);
                }
                reducedRank = method.startsWith("mora") ? adapter.peftParameters().get("lora_A.weight").getShape().get(0) : 0;
            }
            model.setBlock(block);
            x = manager.randomNormal(new Shape(TOKENS, d));
            y = manager.randomNormal(new Shape(TOKENS, d));
            trainer = model.newTrainer(new DefaultTrainingConfig(new GcSafeL2Loss("mse", 1f))
                    .optOptimizer(RestartableAdamW.builder().build()));
        }

        void trainStep() {
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDArray loss = trainer.getLoss().evaluate(new NDList(y), trainer.forward(new NDList(x)));
                collector.backward(loss);
                loss.getFloat();
            }
            trainer.step();
        }

        void evalForward() {
            block.forward(new ParameterStore(x.getManager(), false), new NDList(x), false).head().getFloat(0L, 0L);
        }

        /** The times of n calls in milliseconds; each call runs in its own sub-manager, with x and y attached to it. */
        double[] times(Runnable body, int n) {
            double[] times = new double[n];
            for (int i = 0; i < n; i++) {
                try (NDManager call = model.getNDManager().newSubManager()) {
                    x.tempAttach(call);
                    y.tempAttach(call);
                    long start = System.nanoTime();
                    body.run();
                    times[i] = (System.nanoTime() - start) / 1e6;
                }
            }
            return times;
        }

        @Override
        public void close() {
            trainer.close();
            model.close();
        }
    }

    private static AdapterConfig timedConfig(String method, int r) {
        return switch (method) {
            case "lora", "dora" -> AdapterConfig.builder(method).setRank(r).optAlpha(2 * r).build();
            case "mora_sharing" -> AdapterConfig.builder("mora").setRank(r).optOption("mora_type", "1").build();
            case "mora_rotation" -> AdapterConfig.builder("mora").setRank(r).optOption("mora_type", "6").build();
            default -> throw new IllegalArgumentException(method);
        };
    }

    // -----------------------------------------------------------------------------------------
    // peft-models: CausalLm against transformers (interop/real_models.py)

    /**
     * Loads the spec's model (and adapter, when given) and writes the logits (B, T, V) of each case to a
     * safetensors file, one tensor per case name. The spec is JSON: {"model": DIR, "adapter": DIR or null,
     * "cases": [{"name", "input_ids": [[...]], "attention_mask": [[...]] or null}]}.
     */
    static void logits(Path specFile, Path out) throws Exception {
        JsonObject spec = JsonParser.parseString(Files.readString(specFile, StandardCharsets.UTF_8)).getAsJsonObject();
        Backend backend = Backend.select("pytorch", "cpu", Plugins.defaults());
        try (CausalLm lm = CausalLm.load(Path.of(spec.get("model").getAsString()), backend);
                NDManager manager = lm.newManager()) {
            if (spec.has("adapter") && !spec.get("adapter").isJsonNull()) {
                lm.loadAdapter("default", Path.of(spec.get("adapter").getAsString()));
            }
            Map<String, NDArray> results = new LinkedHashMap<>();
            for (JsonElement element : spec.getAsJsonArray("cases")) {
                JsonObject item = element.getAsJsonObject();
                NDArray ids = longMatrix(manager, item.getAsJsonArray("input_ids"));
                NDArray mask = item.has("attention_mask") && !item.get("attention_mask").isJsonNull()
                        ? longMatrix(manager, item.getAsJsonArray("attention_mask")) : null;
                results.put(item.get("name").getAsString(), lm.logits(ids, mask).toType(DataType.FLOAT32, false));
            }
            SafetensorsWriter.save(out, results, Map.of());
            System.out.println("wrote the logits of " + results.size() + " cases to " + out);
        }
    }

    private static NDArray longMatrix(NDManager manager, JsonArray rows) {
        int height = rows.size();
        int width = rows.get(0).getAsJsonArray().size();
        long[] values = new long[height * width];
        for (int r = 0; r < height; r++) {
            JsonArray row = rows.get(r).getAsJsonArray();
            if (row.size() != width) {
                throw new IllegalArgumentException("ragged matrix: row " + r + " has " + row.size() + " values, not " + width);
            }
            for (int c = 0; c < width; c++) {
                values[r * width + c] = row.get(c).getAsLong();
            }
        }
        return manager.create(values, new Shape(height, width));
    }

    /**
     * Speed and memory of a real-size model, for the peer comparison with transformers: RSS before and
     * after loading (after a GC), an eval forward of the spec's batch (median after warm-ups), and greedy
     * generation with the KV cache. The spec is JSON: {"model", "eval_ids": [[...]], "warmup", "runs",
     * "prompt": [...], "new_tokens", "generation_runs"}. Writes JSON to {@code out}, and the eval's
     * last-position logits (B, V) next to it ({@code out} with .safetensors).
     */
    static void peer(Path specFile, Path out) throws Exception {
        JsonObject spec = JsonParser.parseString(Files.readString(specFile, StandardCharsets.UTF_8)).getAsJsonObject();
        Map<String, Object> result = new LinkedHashMap<>();
        Backend backend = Backend.select("pytorch", "cpu", Plugins.defaults());
        try (NDManager probe = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            probe.ones(new Shape(64, 64)).matMul(probe.ones(new Shape(64, 64))).getFloat(0L, 0L); // libtorch loaded and warm
        }
        result.put("threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        result.put("interop_threads", ai.djl.pytorch.jni.JniUtils.getNumInteropThreads());
        settle();
        result.put("rss_before_load_mb", status("VmRSS"));
        long start = System.nanoTime();
        try (CausalLm lm = CausalLm.load(Path.of(spec.get("model").getAsString()), backend)) {
            result.put("load_ms", (System.nanoTime() - start) / 1e6);
            settle();
            result.put("rss_after_load_mb", status("VmRSS"));
            result.put("rss_anon_after_load_mb", status("RssAnon"));
            result.put("rss_file_after_load_mb", status("RssFile"));
            result.put("java_heap_used_mb", (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1e6);
            try (NDManager scope = lm.newManager()) { // every weight touched once, activations tiny
                lm.logits(scope.create(new long[] {1}, new Shape(1, 1)), null).getFloat(0L, 0L, 0L);
            }
            settle();
            result.put("rss_after_one_token_mb", status("VmRSS"));

            JsonArray evalRows = spec.getAsJsonArray("eval_ids");
            int warmup = spec.get("warmup").getAsInt();
            int runs = spec.get("runs").getAsInt();
            List<Double> evalTimes = new ArrayList<>();
            List<Double> warmupTimes = new ArrayList<>();
            for (int i = 0; i < warmup + runs; i++) {
                try (NDManager scope = lm.newManager()) {
                    NDArray ids = longMatrix(scope, evalRows);
                    long t = System.nanoTime();
                    NDArray logits = lm.logits(ids, null);
                    logits.getFloat(0L, 0L, 0L);
                    double ms = (System.nanoTime() - t) / 1e6;
                    (i >= warmup ? evalTimes : warmupTimes).add(ms);
                    if (i == warmup + runs - 1) { // the last position's logits, for the Python side to compare
                        SafetensorsWriter.save(Path.of(out + ".safetensors"), Map.of("last_logits", logits.get(":, -1, :").duplicate()), Map.of());
                    }
                }
            }
            result.put("eval_ms", evalTimes);
            result.put("eval_median_ms", medianOf(evalTimes));
            result.put("eval_warmup_ms", warmupTimes);
            result.put("rss_after_eval_mb", status("VmRSS"));

            JsonArray promptJson = spec.getAsJsonArray("prompt");
            long[] prompt = new long[promptJson.size()];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = promptJson.get(i).getAsLong();
            }
            int newTokens = spec.get("new_tokens").getAsInt();
            Generator generator = new Generator(lm);
            generator.generateIds(List.of(prompt), GenerationConfig.greedy(8)); // warm-up
            List<Double> generationTimes = new ArrayList<>();
            List<Double> tokensPerSecond = new ArrayList<>();
            long[] tokens = new long[0];
            for (int i = 0; i < spec.get("generation_runs").getAsInt(); i++) {
                long t = System.nanoTime();
                tokens = generator.generateIds(List.of(prompt), GenerationConfig.greedy(newTokens)).get(0);
                double ms = (System.nanoTime() - t) / 1e6;
                generationTimes.add(ms);
                tokensPerSecond.add(tokens.length / (ms / 1e3));
            }
            result.put("generation_ms", generationTimes);
            result.put("generation_median_ms", medianOf(generationTimes));
            result.put("generated_tokens", tokens.length);
            result.put("generation_tokens_per_s", medianOf(tokensPerSecond));
            result.put("generated_ids", tokens);
            result.put("rss_peak_mb", status("VmHWM"));
        }
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(result), StandardCharsets.UTF_8);
        System.out.println(result);
    }

    /**
     * Speed and memory of LoRA training on a real-size model, for the peer comparison with PEFT: the
     * optimizer step {@code peft4j finetune} runs (forward, backward, global-norm clipping to 1, AdamW)
     * on the spec's batch with every token trained. The spec is JSON: {"model", "targets": [...] or
     * ["all-linear"], "rank", "alpha", "lr", "ids": [[...]], "warmup", "runs"}. Writes JSON to {@code out}:
     * step times, losses, trainable parameters and RSS (before load, after load, peak).
     */
    /**
     * The cost of a mixed-adapter batch (issue 18): four LoRA adapters (r = 8 on q_proj, v_proj, random B)
     * on the model; the same batch of 8 rows × 128 tokens as an eval forward with every row on adapter
     * "a", and with the rows naming a, b, c, d, a, b, c, d; medians of interleaved runs. Writes
     * {"one_adapter_ms", "four_adapters_ms"}.
     */
    static void mixedBatch(Path modelDirectory, Path out) throws Exception {
        Backend backend = Backend.select("pytorch", "cpu", Plugins.defaults());
        Map<String, Object> result = new LinkedHashMap<>();
        try (CausalLm lm = CausalLm.load(modelDirectory, backend)) {
            PeftModel peft = lm.peft();
            List<String> names = List.of("a", "b", "c", "d");
            for (String name : names) {
                peft.addAdapter(name, AdapterConfig.builder("lora").setRank(8).optAlpha(16).build(),
                        TargetModules.names("q_proj", "v_proj"));
                for (AdaptedLayer layer : peft.layers().values()) {
                    NDArray b = layer.adapters().get(name).peftParameters().get("lora_B.weight").getArray();
                    dev.peft4j.spi.InPlace.copy(b.getManager().randomNormal(0, 0.02f, b.getShape(), b.getDataType()), b);
                }
            }
            List<String> one = java.util.Collections.nCopies(8, "a");
            List<String> four = List.of("a", "b", "c", "d", "a", "b", "c", "d");
            Random random = new Random(5);
            long[] ids = new long[8 * 128];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(lm.config().vocabSize());
            }
            List<Double> oneTimes = new ArrayList<>();
            List<Double> fourTimes = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                for (List<String> rows : List.of(one, four)) {
                    try (NDManager scope = lm.newManager();
                            dev.peft4j.core.RowAdapters ignored = peft.useRowAdapters(rows)) {
                        NDArray input = scope.create(ids, new Shape(8, 128));
                        long start = System.nanoTime();
                        lm.logits(input, null).getFloat(0L, 0L, 0L);
                        double ms = (System.nanoTime() - start) / 1e6;
                        if (i >= 2) {
                            (rows == one ? oneTimes : fourTimes).add(ms);
                        }
                    }
                }
            }
            Collections.sort(oneTimes);
            Collections.sort(fourTimes);
            result.put("one_adapter_ms", oneTimes.get(oneTimes.size() / 2));
            result.put("four_adapters_ms", fourTimes.get(fourTimes.size() / 2));
        }
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(result), StandardCharsets.UTF_8);
        System.out.println(result);
    }

    static void trainPeer(Path specFile, Path out) throws Exception {
        JsonObject spec = JsonParser.parseString(Files.readString(specFile, StandardCharsets.UTF_8)).getAsJsonObject();
        Map<String, Object> result = new LinkedHashMap<>();
        Backend backend = Backend.select("pytorch", "cpu", Plugins.defaults());
        try (NDManager probe = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            probe.ones(new Shape(64, 64)).matMul(probe.ones(new Shape(64, 64))).getFloat(0L, 0L);
        }
        result.put("threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        settle();
        result.put("rss_before_load_mb", status("VmRSS"));
        try (CausalLm lm = CausalLm.load(Path.of(spec.get("model").getAsString()), backend)) {
            settle();
            result.put("rss_after_load_mb", status("VmRSS"));
            List<String> targets = new ArrayList<>();
            spec.getAsJsonArray("targets").forEach(t -> targets.add(t.getAsString()));
            AdapterConfig config = AdapterConfig.builder("lora").setRank(spec.get("rank").getAsInt())
                    .optAlpha(spec.get("alpha").getAsFloat()).build();
            PeftModel peft = lm.peft();
            peft.addAdapter("default", config, TargetModules.names(targets));
            List<ai.djl.nn.Parameter> parameters = new ArrayList<>();
            for (AdaptedLayer layer : peft.layers().values()) {
                parameters.addAll(layer.adapters().get("default").peftParameters().values());
            }
            result.put("trainable_params", parameters.stream().mapToLong(p -> p.getArray().size()).sum());
            JsonArray rows = spec.getAsJsonArray("ids");
            int height = rows.size();
            int width = rows.get(0).getAsJsonArray().size();
            long[] ids = new long[height * width];
            for (int r = 0; r < height; r++) {
                for (int c = 0; c < width; c++) {
                    ids[r * width + c] = rows.get(r).getAsJsonArray().get(c).getAsLong();
                }
            }
            long[] mask = new long[ids.length];
            boolean[] trained = new boolean[ids.length];
            Arrays.fill(mask, 1);
            for (int i = 0; i < ids.length; i++) {
                trained[i] = i % width != 0; // every token but each row's first is predicted, as transformers' labels=ids
            }
            dev.peft4j.train.data.Batch batch = new dev.peft4j.train.data.Batch(ids, mask, trained, height, width);
            int warmup = spec.get("warmup").getAsInt();
            int runs = spec.get("runs").getAsInt();
            List<Double> times = new ArrayList<>();
            List<Double> warmupTimes = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            try (RestartableAdamW optimizer = RestartableAdamW.builder()
                    .optLearningRateTracker(Tracker.fixed(spec.get("lr").getAsFloat())).optWeightDecays(0f).build()) {
                dev.peft4j.train.OptimizerStep step = new dev.peft4j.train.OptimizerStep(lm, parameters, optimizer, 1f);
                for (int i = 0; i < warmup + runs; i++) {
                    long t = System.nanoTime();
                    losses.add(step.run(new dev.peft4j.train.data.Batch[] {batch}, batch.trainedTokens()));
                    peft.invalidateCaches();
                    (i >= warmup ? times : warmupTimes).add((System.nanoTime() - t) / 1e6);
                }
            }
            result.put("step_ms", times);
            result.put("step_median_ms", medianOf(times));
            result.put("warmup_step_ms", warmupTimes);
            result.put("losses", losses);
            result.put("rss_peak_mb", status("VmHWM"));
        }
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(result), StandardCharsets.UTF_8);
        System.out.println(result);
    }

    private static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
    }

    /** A field of /proc/self/status (kB, that is KiB) in MB (10⁶ bytes). */
    private static double status(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]) * 1024 / 1e6;
            }
        }
        throw new IllegalStateException("/proc/self/status has no " + field);
    }

    private static double medianOf(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
