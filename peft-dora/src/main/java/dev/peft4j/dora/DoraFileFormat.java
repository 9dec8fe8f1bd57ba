package dev.peft4j.dora;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.lora.LoraFileFormat;
import dev.peft4j.lora.LowRankBranch;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFileKeys;
import dev.peft4j.spi.StoredModule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DoRA in PEFT's format: a LoRA-type file with {@code use_dora} true; per module LoRA's A and B
 * and the magnitude m (d), stored as {@code lora_magnitude_vector} or, as PEFT's in-memory
 * parameter is named, {@code lora_magnitude_vector.weight}.
 */
public final class DoraFileFormat extends LoraFileFormat {

    /** The second spelling of the magnitude that PEFT's files use. */
    static final String MAGNITUDE_WEIGHT_NAME = DoraAdapter.MAGNITUDE_NAME + ".weight";

    @Override
    public Claim claim(AdapterFileKeys keys) {
        return keys.flag(USE_DORA) ? Claim.SPECIFIC : Claim.NONE;
    }

    @Override
    public Map<String, Object> configKeys(Map<String, String> options) {
        return Map.of(USE_DORA, true);
    }

    @Override
    public boolean isEmbedding(StoredModule module) {
        return false;
    }

    @Override
    public List<String> storedNames(String parameterName) {
        return DoraAdapter.MAGNITUDE_NAME.equals(parameterName)
                ? List.of(DoraAdapter.MAGNITUDE_NAME, MAGNITUDE_WEIGHT_NAME)
                : List.of(parameterName);
    }

    @Override
    public List<String> problems(StoredModule module, AdapterConfig config) {
        List<String> problems = new ArrayList<>(super.problems(module, config));
        Shape magnitude = module.shapes().get(DoraAdapter.MAGNITUDE_NAME);
        Shape magnitudeWeight = module.shapes().get(MAGNITUDE_WEIGHT_NAME);
        if (magnitude != null && magnitudeWeight != null) {
            problems.add("has two magnitude vectors: " + DoraAdapter.MAGNITUDE_NAME + " and " + MAGNITUDE_WEIGHT_NAME);
        }
        Shape stored = magnitude != null ? magnitude : magnitudeWeight;
        Shape b = module.shapes().get(LowRankBranch.B_NAME);
        if (stored == null) {
            problems.add("use_dora is true but " + DoraAdapter.MAGNITUDE_NAME + " is missing");
        } else if (b != null && b.dimension() == 2 && !stored.equals(new Shape(b.get(0)))) {
            problems.add(DoraAdapter.MAGNITUDE_NAME + " has shape " + stored + ", expected (" + b.get(0) + ") to match "
                    + LowRankBranch.B_NAME + "'s rows");
        }
        return problems;
    }

    @Override
    public Map<String, Object> describe(StoredModule module, AdapterConfig config) {
        Map<String, Object> row = super.describe(module, config);
        Shape magnitude = module.shapes()
                .getOrDefault(DoraAdapter.MAGNITUDE_NAME, module.shapes().get(MAGNITUDE_WEIGHT_NAME));
        row.put("magnitude", text(magnitude));
        return row;
    }

    @Override
    public Set<String> keys() {
        return Set.of(USE_DORA);
    }

    @Override
    public Map<String, String> options(AdapterFileKeys keys, Map<String, String> savedOptions) {
        return Map.of();
    }

    @Override
    protected Set<String> keptTensors(AdapterConfig config, boolean embedding) {
        return Set.of(LowRankBranch.A_NAME, LowRankBranch.B_NAME, DoraAdapter.MAGNITUDE_NAME, MAGNITUDE_WEIGHT_NAME);
    }

    @Override
    protected String methodName() {
        return "DoRA";
    }
}
