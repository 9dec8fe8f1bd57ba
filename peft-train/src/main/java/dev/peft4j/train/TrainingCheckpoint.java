package dev.peft4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.core.io.StagedDirectory;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.models.CausalLm;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.safetensors.StrictJson;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A resumable checkpoint, {@code checkpoint-N/}: the adapter in PEFT layout ({@code adapter/}),
 * AdamW's moments per adapter tensor ({@code optimizer.safetensors}: {@code <tensor>.exp_avg},
 * {@code <tensor>.exp_avg_sq}) and {@code trainer_state.json} (the step, the history so far and
 * the settings, which a resumed run must share). The data order, the schedule and dropout follow
 * from the step and the seed, so nothing else is needed to continue exactly. Written as a unit
 * ({@link StagedDirectory}).
 */
final class TrainingCheckpoint {

    static final String ADAPTER = "adapter";
    private static final String OPTIMIZER = "optimizer.safetensors";
    private static final String STATE = "trainer_state.json";
    private static final String MEAN = ".exp_avg";
    private static final String VARIANCE = ".exp_avg_sq";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /** What {@link #read} gives back. */
    record Resumed(int step, TrainingHistory history) {}

    private TrainingCheckpoint() {}

    /**
     * Writes {@code checkpoint-<step>} in a directory.
     *
     * @param out the run's output directory
     * @param step the optimizer steps done
     * @param lm the model with the adapter
     * @param adapterName the adapter
     * @param parameters the adapter's parameters by tensor name
     * @param optimizer the optimizer
     * @param history the run so far
     * @param settings the run's settings, as JSON
     * @return the checkpoint directory
     */
    static Path write(
            Path out,
            int step,
            CausalLm lm,
            String adapterName,
            Map<String, Parameter> parameters,
            RestartableAdamW optimizer,
            TrainingHistory history,
            JsonObject settings) {
        Path target = out.resolve("checkpoint-" + step);
        try (StagedDirectory staged = StagedDirectory.start(target);
                NDManager manager = lm.newManager()) {
            lm.saveAdapter(adapterName, staged.path().resolve(ADAPTER));
            Map<String, NDArray> moments = new LinkedHashMap<>();
            parameters.forEach((name, parameter) -> optimizer
                    .moments(parameter.getId())
                    .ifPresent(m -> {
                        moments.put(
                                name + MEAN,
                                manager.create(m.mean(), parameter.getArray().getShape()));
                        moments.put(
                                name + VARIANCE,
                                manager.create(
                                        m.variance(), parameter.getArray().getShape()));
                    }));
            SafetensorsWriter.save(staged.path().resolve(OPTIMIZER), moments, Map.of("steps", Integer.toString(step)));
            JsonObject state = new JsonObject();
            state.addProperty("step", step);
            state.addProperty("tokens", history.tokens());
            state.addProperty("seconds", history.seconds());
            state.add("trainLoss", points(history.trainLoss()));
            state.add("evalLoss", points(history.evalLoss()));
            state.add("settings", settings);
            Files.writeString(staged.path().resolve(STATE), GSON.toJson(state), StandardCharsets.UTF_8);
            staged.commit();
        } catch (IOException e) {
            throw new PeftException("Cannot write checkpoint " + target + ": " + e.getMessage(), e);
        }
        return target;
    }

    /**
     * Reads a checkpoint into a model whose adapter was just created with the same settings.
     *
     * @param checkpoint the {@code checkpoint-N} directory
     * @param parameters the adapter's parameters by tensor name
     * @param optimizer the optimizer to restore
     * @param settings the resumed run's settings, which must equal the checkpoint's
     * @return the step to continue after, and the history so far
     * @throws PeftException when a file is missing or malformed, a tensor is missing or the settings differ
     */
    static Resumed read(
            Path checkpoint, Map<String, Parameter> parameters, RestartableAdamW optimizer, JsonObject settings) {
        JsonObject state = readState(checkpoint.resolve(STATE));
        JsonElement saved = state.get("settings");
        // compared as written: a float setting reads back as the double of its shortest decimal form
        if (!JsonParser.parseString(settings.toString()).equals(saved)) {
            throw new PeftException("Cannot resume from " + checkpoint
                    + ": it was trained with other settings.\n  checkpoint: " + saved + "\n  this run:   " + settings);
        }
        int step = state.get("step").getAsInt();
        try (SafetensorsFile adapter =
                        SafetensorsFile.open(checkpoint.resolve(ADAPTER).resolve("adapter_model.safetensors"));
                SafetensorsFile moments = SafetensorsFile.open(checkpoint.resolve(OPTIMIZER))) {
            for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
                NDArray array = entry.getValue().getArray();
                String tensor = "base_model.model." + entry.getKey();
                if (!adapter.tensors().containsKey(tensor)) {
                    throw new PeftException(checkpoint + " has no adapter tensor " + tensor);
                }
                InPlace.copy(adapter.readFloats(tensor), array);
                if (moments.tensors().containsKey(entry.getKey() + MEAN)) {
                    optimizer.restore(
                            entry.getValue().getId(),
                            array,
                            new RestartableAdamW.Moments(
                                    step,
                                    moments.readFloats(entry.getKey() + MEAN),
                                    moments.readFloats(entry.getKey() + VARIANCE)));
                }
            }
        }
        TrainingHistory history = new TrainingHistory();
        state.getAsJsonArray("trainLoss")
                .forEach(p -> history.addTrainLoss(
                        p.getAsJsonArray().get(0).getAsInt(),
                        p.getAsJsonArray().get(1).getAsDouble()));
        state.getAsJsonArray("evalLoss")
                .forEach(p -> history.addEvalLoss(
                        p.getAsJsonArray().get(0).getAsInt(),
                        p.getAsJsonArray().get(1).getAsDouble()));
        history.addTokens(state.get("tokens").getAsLong());
        history.addSeconds(state.get("seconds").getAsDouble());
        return new Resumed(step, history);
    }

    private static JsonObject readState(Path file) {
        try {
            JsonObject state = StrictJson.parseObject(
                    new StringReader(Files.readString(file, StandardCharsets.UTF_8)), file.toString());
            for (String key : new String[] {"step", "tokens", "seconds", "trainLoss", "evalLoss", "settings"}) {
                if (!state.has(key)) {
                    throw new PeftException(file + " has no \"" + key + "\"; it is not a peft4j training checkpoint");
                }
            }
            return state;
        } catch (IOException | PeftException e) {
            throw new PeftException(
                    "Cannot read " + file + ": " + e.getMessage()
                            + "; --resume takes a checkpoint-N directory written by peft4j finetune",
                    e);
        }
    }

    /** Points as JSON pairs [step, value]. */
    static JsonArray points(Iterable<TrainingHistory.Point> points) {
        JsonArray array = new JsonArray();
        for (TrainingHistory.Point point : points) {
            JsonArray pair = new JsonArray();
            pair.add(point.step());
            pair.add(point.value());
            array.add(pair);
        }
        return array;
    }
}
