package dev.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.peft4j.core.AdaptedEmbedding;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.models.testing.Reference;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.Dense;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LoRA on a real model's token embedding, as PEFT defines it: {@code h = E[ids] + s·Aᵀ[ids]·Bᵀ}
 * with A (r, V) starting at zero and B (D, r) standard normal, stored as {@code lora_embedding_A}
 * and {@code lora_embedding_B}, merged as {@code E + s·(B·A)ᵀ}. The expected logits come from a
 * second copy of the model whose table is overwritten with that sum, computed here in double.
 */
class EmbeddingLoraTest {

    private static final String MODEL = "tiny-llama-gqa"; // untied: lm_head does not read the table
    private static final String TABLE = "model.embed_tokens.weight";
    private static final int R = 4;
    private static final float ALPHA = 8;
    private static final long[] IDS = {3, 17, 42, 8, 91, 5, 17};

    static java.util.List<String> engines() {
        return ReferenceLogitsTest.engines().toList();
    }

    private static AdapterConfig lora() {
        return AdapterConfig.builder("lora").setRank(R).optAlpha(ALPHA).build();
    }

    private static float[] logits(CausalLm lm) {
        try (NDManager manager = lm.newManager()) {
            NDArray input = manager.create(IDS).reshape(1, IDS.length);
            return lm.logits(input, null).toFloatArray();
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void loraOnTheEmbeddingComputesTheAdaptedTableAndSavesMergesAndReloadsAsPeft(String engine, @TempDir Path dir)
            throws IOException {
        Path adapterDir = dir.resolve("adapter");
        float[] adapted;
        double[][] expectedTable;
        try (CausalLm lm = CausalLm.load(Reference.resource(MODEL), ReferenceLogitsTest.backend(engine))) {
            float[] base = logits(lm);
            lm.peft().addAdapter("default", lora(), TargetModules.names("embed_tokens", "q_proj"));
            AdaptedLayer layer = lm.peft().layers().get("model.embed_tokens");
            assertInstanceOf(AdaptedEmbedding.class, layer);
            Adapter adapter = layer.adapters().get("default");
            Parameter a = adapter.peftParameters().get("lora_A.weight");
            Parameter b = adapter.peftParameters().get("lora_B.weight");
            int vocabulary = lm.config().vocabSize();
            int dimension = Math.toIntExact(layer.weight().getShape().get(1));
            assertEquals(new Shape(R, vocabulary), a.getShape());
            assertEquals(new Shape(dimension, R), b.getShape());
            assertEquals(0, a.getArray().abs().max().getFloat(), "PEFT's init: A is zero");
            double[][] bValues = Dense.fromArray(b.getArray());
            double std = Math.sqrt(java.util.Arrays.stream(bValues)
                            .flatMapToDouble(java.util.Arrays::stream)
                            .map(v -> v * v)
                            .sum()
                    / (dimension * R));
            assertEquals(1, std, 0.25, "PEFT's init: B is standard normal");
            assertEquals(0, maxDifference(base, logits(lm)), 1e-6, "a fresh adapter changes nothing");

            Random random = new Random(11);
            InPlace.copy(
                    Dense.toArray(a.getArray().getManager(), Dense.random(random, R, vocabulary))
                            .mul(0.3f),
                    a.getArray());
            double s = ALPHA / R;
            double[][] table = Dense.fromArray(layer.weight().getArray());
            expectedTable = Dense.add(
                    table,
                    s,
                    Dense.transpose(Dense.matmul(Dense.fromArray(b.getArray()), Dense.fromArray(a.getArray()))));
            adapted = logits(lm);
            assertTrue(maxDifference(base, adapted) > 0.01, "the adapter changes the logits");

            lm.peft().merge();
            Dense.assertClose(expectedTable, Dense.fromArray(layer.weight().getArray()), 1e-5, "E + s·(B·A)ᵀ");
            assertEquals(0, maxDifference(adapted, logits(lm)), 1e-4, "merged");
            lm.peft().unmerge();
            Dense.assertClose(table, Dense.fromArray(layer.weight().getArray()), 1e-5, "unmerge restores E");
            lm.saveAdapter("default", adapterDir);
        }

        try (CausalLm reference = CausalLm.load(Reference.resource(MODEL), ReferenceLogitsTest.backend(engine));
                NDManager manager = reference.newManager()) {
            // q_proj's adapters add nothing yet (B starts at zero): the model with the adapted table is the reference
            InPlace.copy(
                    Dense.toArray(manager, expectedTable),
                    ModuleTree.parameter(reference.block(), TABLE).getArray());
            assertEquals(0, maxDifference(adapted, logits(reference)), 1e-4, "forward = model with E + s·(B·A)ᵀ");
        }

        try (SafetensorsFile file = SafetensorsFile.open(adapterDir.resolve("adapter_model.safetensors"))) {
            String prefix = "base_model.model.model.embed_tokens.";
            assertEquals(
                    new Shape(R, 96), file.tensor(prefix + "lora_embedding_A").shape());
            assertEquals(
                    new Shape(32, R), file.tensor(prefix + "lora_embedding_B").shape());
            assertTrue(file.tensors().keySet().stream().noneMatch(name -> name.startsWith(prefix + "lora_A")));
        }
        try (CausalLm reloaded = CausalLm.load(Reference.resource(MODEL), ReferenceLogitsTest.backend(engine))) {
            reloaded.loadAdapter("default", adapterDir);
            assertInstanceOf(AdaptedEmbedding.class, reloaded.peft().layers().get("model.embed_tokens"));
            assertEquals(0, maxDifference(adapted, logits(reloaded)), 1e-5, "save then load");
        }

        Path merged = Files.createDirectories(dir.resolve("merged"));
        Files.copy(Reference.resource(MODEL).resolve("config.json"), merged.resolve("config.json"));
        try (NDManager manager = ReferenceLogitsTest.backend(engine).newManager()) {
            StreamingMerge.merge(
                    Reference.resource(MODEL).resolve(Checkpoint.WEIGHTS_FILE),
                    adapterDir,
                    merged.resolve(Checkpoint.WEIGHTS_FILE),
                    manager,
                    StreamingMerge.Options.defaults());
        }
        try (CausalLm mergedLm = CausalLm.load(merged, ReferenceLogitsTest.backend(engine))) {
            assertEquals(0, maxDifference(adapted, logits(mergedLm)), 1e-4, "peft4j merge of the saved adapter");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void loraBiasIsRefusedOnTheEmbedding(String engine) {
        try (CausalLm lm = CausalLm.load(Reference.resource(MODEL), ReferenceLogitsTest.backend(engine))) {
            String bias = assertThrows(
                            PeftException.class,
                            () -> lm.peft()
                                    .addAdapter(
                                            "bias",
                                            AdapterConfig.builder("lora")
                                                    .setRank(R)
                                                    .optOption("lora_bias", "true")
                                                    .build(),
                                            TargetModules.names("embed_tokens")))
                    .getMessage();
            assertTrue(bias.startsWith("lora_bias is for linear layers; 'model.embed_tokens' is an embedding"), bias);
            assertTrue(lm.peft().layers().isEmpty(), "nothing was half added");
        }
    }
}
