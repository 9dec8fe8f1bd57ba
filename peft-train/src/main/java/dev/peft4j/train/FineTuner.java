package dev.peft4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.StagedDirectory;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.models.CausalLm;
import dev.peft4j.safetensors.AtomicFile;
import dev.peft4j.spi.PeftException;
import dev.peft4j.train.data.Batch;
import dev.peft4j.train.data.Batches;
import dev.peft4j.train.data.TrainingData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tunes an adapter on a causal language model: causal-LM cross-entropy over the trained tokens,
 * AdamW ({@link RestartableAdamW}) with warmup and a schedule, global-norm gradient clipping,
 * gradient accumulation, evaluation, checkpoints and exact resume.
 *
 * <p>Each optimizer step takes {@code gradientAccumulation} micro-batches; its loss is the mean
 * negative log-likelihood per trained token over all of them (each micro-batch's summed NLL divided
 * by the step's trained tokens), so accumulation changes memory, not the result. Gradients are
 * clipped to {@code maxGradNorm} by their global L2 norm, as PyTorch's {@code clip_grad_norm_}.
 * Micro-batch g (counting from 0 over the run) is batch {@code g mod n} of epoch {@code g div n},
 * and dropout is seeded from the seed and the step, so a run resumed from a checkpoint computes
 * the same losses as an uninterrupted one.
 *
 * <p>Outputs in the output directory: {@code adapter/} (PEFT layout), {@code checkpoint-N/} every
 * {@code saveEvery} steps, {@code report.json} and {@code loss.png}; each is written as a unit, so
 * an interrupted run leaves no half-written file or directory.
 */
public final class FineTuner {

    /** The name of the adapter the run trains. */
    public static final String ADAPTER_NAME = "default";

    private static final Logger LOG = LoggerFactory.getLogger(FineTuner.class);
    private static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().serializeNulls().create();

    private final CausalLm lm;
    private final FineTuneConfig config;
    private final TrainingData train;
    private final TrainingData eval;
    private final TrainingProgress progress;

    /**
     * Prepares a run.
     *
     * @param lm the model; the run adds the adapter {@value #ADAPTER_NAME} to it
     * @param config the settings
     * @param train the training data
     * @param eval the evaluation data, or {@code null} for none
     * @param progress receives steps and evaluations
     */
    public FineTuner(
            CausalLm lm, FineTuneConfig config, TrainingData train, TrainingData eval, TrainingProgress progress) {
        this.lm = lm;
        this.config = config;
        this.train = train;
        this.eval = eval;
        this.progress = progress;
    }

    /**
     * Trains, writing the outputs into a directory.
     *
     * @param out the output directory, created if absent
     * @param resumeFrom a {@code checkpoint-N} directory of an earlier run with the same settings and
     *     data, or {@code null} to start from a fresh adapter
     * @return the report, as written to {@code report.json}
     * @throws PeftException when the adapter cannot be added, the checkpoint does not fit, or an
     *     output cannot be written
     */
    public JsonObject run(Path out, Path resumeFrom) {
        Engine engine = lm.model().getNDManager().getEngine();
        engine.setRandomSeed((int) config.seed());
        PeftModel peft = lm.peft();
        peft.addAdapter(ADAPTER_NAME, config.adapterConfig(), TargetModules.names(config.targetModules()));
        Map<String, Parameter> parameters = TrainableParameters.of(peft, ADAPTER_NAME);
        parameters.values().forEach(parameter -> parameter.getArray().setRequiresGradient(true));
        long padId = lm.config().padTokenId() >= 0 ? lm.config().padTokenId() : 0;
        Batches batches = new Batches(train.examples(), config.batchSize(), padId, config.seed());
        int totalSteps = config.totalSteps(batches.batchesPerEpoch());
        LearningRateSchedule schedule =
                new LearningRateSchedule(config.learningRate(), config.warmupSteps(), totalSteps, config.schedule());
        JsonObject settings = settings(totalSteps);
        try (RestartableAdamW optimizer = RestartableAdamW.builder()
                .optLearningRateTracker(schedule)
                .optWeightDecays(config.weightDecay())
                .build()) {
            TrainingHistory history = new TrainingHistory();
            int start = 0;
            if (resumeFrom != null) {
                TrainingCheckpoint.Resumed resumed =
                        TrainingCheckpoint.read(resumeFrom, parameters, optimizer, settings);
                start = resumed.step();
                history = resumed.history();
                peft.invalidateCaches();
                LOG.info("Resuming from {} after step {} of {}", resumeFrom, start, totalSteps);
            }
            createDirectory(out);
            train(out, engine, peft, parameters, optimizer, batches, start, totalSteps, schedule, history, settings);
            return finish(out, parameters, totalSteps, history);
        }
    }

    private void train(
            Path out,
            Engine engine,
            PeftModel peft,
            Map<String, Parameter> parameters,
            RestartableAdamW optimizer,
            Batches batches,
            int start,
            int totalSteps,
            LearningRateSchedule schedule,
            TrainingHistory history,
            JsonObject settings) {
        OptimizerStep optimizerStep = new OptimizerStep(lm, parameters.values(), optimizer, config.maxGradNorm());
        Map<Integer, List<Batch>> epochs = new HashMap<>();
        long sessionTokens = 0;
        long sessionStart = System.nanoTime();
        int sessionFirstStep = start;
        if (eval != null && start == 0) {
            evaluate(0, history);
        }
        for (int step = start + 1; step <= totalSteps; step++) {
            engine.setRandomSeed((int) (config.seed() * 1_000_003L + step));
            Batch[] micro = new Batch[config.gradientAccumulation()];
            long trainedTokens = 0;
            for (int a = 0; a < micro.length; a++) {
                long g = (long) (step - 1) * micro.length + a;
                int epoch = (int) (g / batches.batchesPerEpoch());
                if (!epochs.containsKey(epoch)) {
                    epochs.clear();
                    epochs.put(epoch, batches.epoch(epoch));
                }
                micro[a] = epochs.get(epoch).get((int) (g % batches.batchesPerEpoch()));
                trainedTokens += micro[a].trainedTokens();
                sessionTokens += micro[a].realTokens();
            }
            if (trainedTokens == 0) {
                LOG.warn("Step {} has no trained token (its sequences mark none as targets); no update", step);
                continue;
            }
            double loss = optimizerStep.run(micro, trainedTokens);
            peft.invalidateCaches();
            history.addTrainLoss(step, loss);
            double elapsed = (System.nanoTime() - sessionStart) / 1e9;
            double perStep = elapsed / (step - sessionFirstStep);
            progress.step(
                    step,
                    totalSteps,
                    loss,
                    schedule.getNewValue(step),
                    sessionTokens / elapsed,
                    perStep * (totalSteps - step));
            if (!Double.isFinite(loss)) {
                throw new PeftException(
                        "Training diverged at step " + step + ": the loss is " + loss + "; lower the learning rate ("
                                + config.learningRate() + ") or clip gradients (--max-grad-norm)");
            }
            if (eval != null && config.evalEvery() > 0 && step % config.evalEvery() == 0 && step < totalSteps) {
                evaluate(step, history);
            }
            if (config.saveEvery() > 0 && step % config.saveEvery() == 0) {
                history.addSeconds(elapsed);
                history.addTokens(sessionTokens);
                Path checkpoint =
                        TrainingCheckpoint.write(out, step, lm, ADAPTER_NAME, parameters, optimizer, history, settings);
                LOG.info("Wrote {}", checkpoint);
                sessionStart = System.nanoTime();
                sessionTokens = 0;
                sessionFirstStep = step;
            }
        }
        history.addSeconds((System.nanoTime() - sessionStart) / 1e9);
        history.addTokens(sessionTokens);
        if (eval != null) {
            evaluate(totalSteps, history);
        }
    }

    private void evaluate(int step, TrainingHistory history) {
        double loss = evalLoss();
        history.addEvalLoss(step, loss);
        progress.evaluated(step, loss);
        LOG.info(
                "Step {}: eval loss {} (perplexity {})",
                step,
                String.format("%.4f", loss),
                String.format("%.3f", Math.exp(loss)));
    }

    /**
     * The mean NLL per trained token of the evaluation data, adapters as they are.
     *
     * @return the loss in nats
     */
    private double evalLoss() {
        double total = 0;
        long tokens = 0;
        Batches batches = new Batches(eval.examples(), config.batchSize(), 0, config.seed());
        try (NDManager manager = lm.newManager()) {
            ParameterStore store = new ParameterStore(manager, false);
            for (Batch batch : batches.epoch(0)) {
                try (NDScope ignored = new NDScope()) {
                    NDArray[] inputs = CausalLmLoss.inputs(batch, manager);
                    NDArray logits = lm.block().forward(store, inputs[0], inputs[1], null, false, null, false);
                    total += CausalLmLoss.summedNll(logits, batch).getFloat();
                    tokens += batch.trainedTokens();
                }
            }
        }
        return total / Math.max(1, tokens);
    }

    private JsonObject finish(Path out, Map<String, Parameter> parameters, int totalSteps, TrainingHistory history) {
        try (StagedDirectory adapter = StagedDirectory.start(out.resolve(TrainingCheckpoint.ADAPTER))) {
            lm.saveAdapter(ADAPTER_NAME, adapter.path());
            adapter.commit();
        }
        long trainable =
                parameters.values().stream().mapToLong(p -> p.getArray().size()).sum();
        JsonObject report = new JsonObject();
        report.addProperty("model", lm.directory().toString());
        report.addProperty("method", config.method());
        report.add("options", GSON.toJsonTree(config.options()));
        report.addProperty("rank", config.rank());
        report.addProperty("alpha", config.alpha());
        report.add("targetModules", GSON.toJsonTree(config.targetModules()));
        report.addProperty("trainableParams", trainable);
        report.addProperty("totalParams", lm.peft().parameterReport().all());
        report.addProperty("steps", totalSteps);
        report.addProperty("tokens", history.tokens());
        report.add("trainLoss", TrainingCheckpoint.points(history.trainLoss()));
        report.add("evalLoss", TrainingCheckpoint.points(history.evalLoss()));
        List<TrainingHistory.Point> evalLoss = history.evalLoss();
        report.addProperty(
                "finalEvalPerplexity",
                evalLoss.isEmpty()
                        ? null
                        : Math.exp(evalLoss.get(evalLoss.size() - 1).value()));
        report.addProperty("seconds", history.seconds());
        report.addProperty("tokensPerSecond", history.tokens() / Math.max(1e-9, history.seconds()));
        report.addProperty("peakRssMb", PeakMemory.megabytes());
        try {
            AtomicFile.write(out.resolve("report.json"), GSON.toJson(report).getBytes(StandardCharsets.UTF_8));
            String title = String.format(
                    "%s r=%d on %s: loss",
                    config.method(), config.rank(), lm.directory().getFileName());
            AtomicFile.write(out.resolve("loss.png"), LossChart.png(title, history));
        } catch (IOException e) {
            throw new PeftException("Cannot write the report in " + out + ": " + e.getMessage(), e);
        }
        return report;
    }

    /** The settings a resumed run must share, as JSON. */
    private JsonObject settings(int totalSteps) {
        JsonObject settings = GSON.toJsonTree(config).getAsJsonObject();
        settings.remove("evalEvery");
        settings.remove("saveEvery");
        settings.addProperty("totalSteps", totalSteps);
        settings.addProperty("trainExamples", train.examples().size());
        settings.addProperty("trainTokens", train.trainedTokens());
        return settings;
    }

    private static void createDirectory(Path out) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new PeftException("Cannot create output directory " + out + ": " + e.getMessage(), e);
        }
    }
}
