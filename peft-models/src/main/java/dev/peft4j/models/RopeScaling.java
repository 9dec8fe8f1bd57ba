package dev.peft4j.models;

import com.google.gson.JsonObject;
import dev.peft4j.spi.PeftException;
import java.util.List;

/**
 * {@code rope_scaling} of a Llama-family config: how the rotary frequencies are stretched for
 * longer contexts.
 *
 * @param type {@code linear} (positions divided by the factor) or {@code llama3} (Llama 3.1's
 *     per-frequency rule)
 * @param factor the scaling factor, &gt; 0
 * @param lowFreqFactor llama3's {@code low_freq_factor}
 * @param highFreqFactor llama3's {@code high_freq_factor}
 * @param originalMaxPositions llama3's {@code original_max_position_embeddings}
 */
public record RopeScaling(
        String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {

    /** The {@code rope_scaling} types peft4j computes. */
    public static final List<String> SUPPORTED = List.of("linear", "llama3");

    /**
     * Reads {@code rope_scaling}; {@code null} or type {@code default} means none.
     *
     * @param object the JSON object, or null
     * @param source the file, for messages
     * @return the scaling, or {@code null} for none
     * @throws PeftException for another type or a bad value
     */
    static RopeScaling read(JsonObject object, String source) {
        if (object == null) {
            return null;
        }
        ConfigJson json = ConfigJson.of(object, source + " rope_scaling");
        String type = json.string("rope_type", json.string("type", null));
        if (type == null || type.equals("default")) {
            return null;
        }
        if (!SUPPORTED.contains(type)) {
            throw new PeftException(source + ": rope_scaling type '" + type + "' is not supported; supported: "
                    + SUPPORTED + " (or none)");
        }
        double factor = json.positiveDouble("factor", Double.NaN);
        if (Double.isNaN(factor)) {
            throw new PeftException(source + ": rope_scaling of type '" + type + "' needs a \"factor\"");
        }
        if (type.equals("linear")) {
            return new RopeScaling(type, factor, 0, 0, 0);
        }
        return new RopeScaling(
                type,
                factor,
                json.positiveDouble("low_freq_factor", 1.0),
                json.positiveDouble("high_freq_factor", 4.0),
                json.positiveInt("original_max_position_embeddings", 8192));
    }

    /**
     * Applies the scaling to the inverse frequencies θ_i = base^(−2i/d).
     *
     * @param inverseFrequencies the unscaled values, changed in place
     */
    void apply(double[] inverseFrequencies) {
        for (int i = 0; i < inverseFrequencies.length; i++) {
            inverseFrequencies[i] = scaled(inverseFrequencies[i]);
        }
    }

    private double scaled(double inverseFrequency) {
        if (type.equals("linear")) {
            return inverseFrequency / factor;
        }
        // llama3: keep high frequencies, divide low ones by the factor, interpolate smoothly between.
        double wavelength = 2 * Math.PI / inverseFrequency;
        double lowFreqWavelength = originalMaxPositions / lowFreqFactor;
        double highFreqWavelength = originalMaxPositions / highFreqFactor;
        if (wavelength < highFreqWavelength) {
            return inverseFrequency;
        }
        if (wavelength > lowFreqWavelength) {
            return inverseFrequency / factor;
        }
        double smooth = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * inverseFrequency / factor + smooth * inverseFrequency;
    }
}
