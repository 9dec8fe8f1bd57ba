package dev.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.models.CausalLm;
import dev.peft4j.models.GenerationConfig;
import dev.peft4j.models.Generator;
import dev.peft4j.models.Perplexity;
import dev.peft4j.train.data.Batch;
import dev.peft4j.train.data.Batches;
import dev.peft4j.train.data.TrainingData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Repeated training steps, generation and scoring leave the model's manager with the arrays it had:
 * every temporary is owned by a scope that is closed.
 */
class NoArrayLeftBehindTest {

    @TempDir
    Path dir;

    private static int liveArrays(CausalLm lm) {
        return lm.model().getNDManager().getManagedArrays().size();
    }

    @Test
    void stepsGenerationAndScoringLeaveNoArray() throws IOException {
        try (CausalLm lm = FineTunerTest.load("pytorch")) {
            TrainingData data = FineTunerTest.data(lm, dir);
            FineTuneConfig config = FineTunerTest.config("lora", 3, 0, Map.of());
            lm.peft()
                    .addAdapter(
                            "default",
                            config.adapterConfig(),
                            dev.peft4j.core.TargetModules.names(config.targetModules()));
            try (RestartableAdamW optimizer = RestartableAdamW.builder().build()) {
                OptimizerStep step = new OptimizerStep(
                        lm, TrainableParameters.of(lm.peft(), "default").values(), optimizer, 1f);
                List<Batch> batches = new Batches(data.examples(), 2, 0, 1).epoch(0);
                Batch[] micro = {batches.get(0)};
                step.run(micro, micro[0].trainedTokens());
                long[] prompt = data.examples().get(0).inputIds();
                new Generator(lm).generateIds(List.of(prompt), GenerationConfig.greedy(4));
                new Perplexity(lm, 2).score(List.of(prompt));
                int before = liveArrays(lm);
                for (int i = 0; i < 5; i++) {
                    step.run(micro, micro[0].trainedTokens());
                    new Generator(lm).generateIds(List.of(prompt, prompt), GenerationConfig.greedy(6));
                    new Perplexity(lm, 2).score(List.of(prompt));
                    try (NDManager manager = lm.newManager()) {
                        lm.logits(manager.create(prompt).reshape(1, prompt.length), null);
                    }
                }
                assertEquals(before, liveArrays(lm), "arrays owned by the model's manager");
            }
        }
    }
}
