package dev.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.ModelMerge;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.PeftFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An adapter merged into a model directory, single-file or sharded, gives a model directory that
 * loads and computes what the adapter on the model computed (GPT-2 with its Conv1D layout,
 * Qwen2 with biases), with the index and the other model files carried over.
 */
class ModelMergeTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}, sharded {1}")
    @ValueSource(strings = {"tiny-gpt2:true", "tiny-qwen2:false", "tiny-qwen2:true"})
    void mergedModelDirectoryComputesWhatTheAdapterDid(String spec) throws IOException {
        String name = spec.split(":")[0];
        boolean sharded = Boolean.parseBoolean(spec.split(":")[1]);
        Path base = LoadingErrorsTest.copyResource(name, dir.resolve("base"));
        if (sharded) {
            LoadingErrorsTest.shardInto(base);
        }
        Path adapter = dir.resolve("adapter");
        long[] ids = {3, 17, 42, 8, 91, 5, 60};
        float[] adapted;
        try (CausalLm lm = CausalLm.load(base, ReferenceLogitsTest.backend("pytorch"));
                NDManager manager = lm.newManager()) {
            lm.peft()
                    .addAdapter(
                            "default",
                            AdapterConfig.builder("lora").setRank(4).optAlpha(8).build(),
                            TargetModules.allLinear());
            for (AdaptedLayer layer : lm.peft().layers().values()) {
                NDArray b = layer.adapters()
                        .get("default")
                        .peftParameters()
                        .get("lora_B.weight")
                        .getArray();
                b.intern(b.getManager().randomNormal(0, 0.2f, b.getShape(), b.getDataType()));
            }
            adapted =
                    lm.logits(manager.create(ids).reshape(1, ids.length), null).toFloatArray();
            lm.saveAdapter("default", adapter);
        }
        Path merged = dir.resolve("merged");
        StreamingMerge.Summary summary;
        try (NDManager manager = ReferenceLogitsTest.backend("pytorch").newManager()) {
            summary = ModelMerge.merge(base, adapter, merged, manager, StreamingMerge.Options.defaults());
        }
        int perLayer = name.equals("tiny-gpt2") ? 4 : 7;
        assertEquals(2 * perLayer, summary.merged());
        assertEquals(sharded, Files.exists(merged.resolve(ModelMerge.INDEX_FILE)));
        assertTrue(Files.exists(merged.resolve("config.json")));
        try (CausalLm lm = CausalLm.load(merged, ReferenceLogitsTest.backend("pytorch"));
                NDManager manager = lm.newManager()) {
            float[] logits =
                    lm.logits(manager.create(ids).reshape(1, ids.length), null).toFloatArray();
            double worst = 0;
            for (int i = 0; i < logits.length; i++) {
                worst = Math.max(worst, Math.abs(logits[i] - adapted[i]));
            }
            assertEquals(0, worst, 1e-4, "merged model vs adapter on the model");
        }
        String exists = assertThrows(
                        PeftException.class,
                        () -> ModelMerge.merge(
                                base,
                                adapter,
                                merged,
                                ReferenceLogitsTest.backend("pytorch").newManager(),
                                StreamingMerge.Options.defaults()))
                .getMessage();
        assertTrue(exists.contains("exists"), exists);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen2"})
    void aModuleInNoShardIsRefusedBeforeWriting(String name) throws IOException {
        Path base = LoadingErrorsTest.shardInto(LoadingErrorsTest.copyResource(name, dir.resolve("base")));
        Path adapter = dir.resolve("adapter");
        try (CausalLm lm = CausalLm.load(base, ReferenceLogitsTest.backend("pytorch"))) {
            lm.peft()
                    .addAdapter(
                            "default", AdapterConfig.builder("lora").setRank(2).build(), TargetModules.names("q_proj"));
            lm.saveAdapter("default", adapter);
        }
        String index = Files.readString(base.resolve(ModelMerge.INDEX_FILE))
                .replace("\"model.layers.1.self_attn.q_proj.weight\"", "\"model.layers.1.self_attn.q_proj.renamed\"");
        Files.writeString(base.resolve(ModelMerge.INDEX_FILE), index);
        Path merged = dir.resolve("merged");
        try (NDManager manager = ReferenceLogitsTest.backend("pytorch").newManager()) {
            String message = assertThrows(
                            PeftException.class,
                            () -> ModelMerge.merge(base, adapter, merged, manager, StreamingMerge.Options.defaults()))
                    .getMessage();
            assertTrue(message.contains("has no tensor [model.layers.1.self_attn.q_proj.weight]"), message);
        }
        assertFalse(Files.exists(merged));
    }

    private Path adapterOn(Path base) {
        Path adapter = dir.resolve("adapter");
        try (CausalLm lm = CausalLm.load(base, ReferenceLogitsTest.backend("pytorch"))) {
            lm.peft()
                    .addAdapter(
                            "default", AdapterConfig.builder("lora").setRank(2).build(), TargetModules.names("q_proj"));
            lm.saveAdapter("default", adapter);
        }
        return adapter;
    }

    @Test
    void anIndexPathMergesAndTheNewIndexKeepsMapAndMetadataWithTheWrittenTotalSize() throws IOException {
        Path base = LoadingErrorsTest.shardInto(LoadingErrorsTest.copyResource("tiny-qwen2", dir.resolve("base")));
        Path indexFile = base.resolve(ModelMerge.INDEX_FILE);
        JsonObject index = JsonParser.parseString(Files.readString(indexFile)).getAsJsonObject();
        index.getAsJsonObject("metadata").addProperty("total_size", 1);
        index.getAsJsonObject("metadata").addProperty("note", "kept");
        Files.writeString(indexFile, index.toString());
        Path adapter = adapterOn(base);
        Path merged = dir.resolve("merged");
        try (NDManager manager = ReferenceLogitsTest.backend("pytorch").newManager()) {
            assertEquals(
                    2,
                    ModelMerge.merge(indexFile, adapter, merged, manager, StreamingMerge.Options.defaults())
                            .merged());
        }
        JsonObject written = JsonParser.parseString(Files.readString(merged.resolve(ModelMerge.INDEX_FILE)))
                .getAsJsonObject();
        assertEquals(index.get("weight_map"), written.get("weight_map"));
        assertEquals("kept", written.getAsJsonObject("metadata").get("note").getAsString());
        long bytes = 0;
        for (String shard : Set.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")) {
            for (float[] values :
                    PeftFixtures.decodeIndependently(merged.resolve(shard)).values()) {
                bytes += 4L * values.length;
            }
        }
        assertEquals(
                bytes, written.getAsJsonObject("metadata").get("total_size").getAsLong());
        assertTrue(Files.exists(merged.resolve("config.json")));
    }

    @Test
    void wrongBasePathsAreOneLineErrorsThatSayWhatWasExpected() throws IOException {
        Path base = LoadingErrorsTest.shardInto(LoadingErrorsTest.copyResource("tiny-qwen2", dir.resolve("base")));
        Path adapter = adapterOn(base);
        Path indexFile = base.resolve(ModelMerge.INDEX_FILE);
        try (NDManager manager = ReferenceLogitsTest.backend("pytorch").newManager()) {
            String asFile = assertThrows(
                            PeftException.class,
                            () -> StreamingMerge.merge(
                                    indexFile,
                                    adapter,
                                    dir.resolve("out.safetensors"),
                                    manager,
                                    StreamingMerge.Options.defaults()))
                    .getMessage();
            assertTrue(asFile.startsWith(indexFile + " is JSON text (a sharded checkpoint's"), asFile);
            String asDirectory = assertThrows(
                            PeftException.class,
                            () -> StreamingMerge.merge(
                                    base,
                                    adapter,
                                    dir.resolve("out.safetensors"),
                                    manager,
                                    StreamingMerge.Options.defaults()))
                    .getMessage();
            assertTrue(asDirectory.contains(base + " is a directory; expected a .safetensors file"), asDirectory);
            Files.writeString(
                    indexFile,
                    Files.readString(indexFile)
                            .replace("model-00001-of-00002.safetensors", "pytorch_model-00001-of-00002.bin"));
            String pickle = assertThrows(
                            PeftException.class,
                            () -> ModelMerge.merge(
                                    indexFile, adapter, dir.resolve("out"), manager, StreamingMerge.Options.defaults()))
                    .getMessage();
            assertTrue(pickle.contains("names shard pytorch_model-00001-of-00002.bin"), pickle);
            assertTrue(pickle.contains("which is not a .safetensors file"), pickle);
            assertFalse(Files.exists(dir.resolve("out")));
        }
    }
}
