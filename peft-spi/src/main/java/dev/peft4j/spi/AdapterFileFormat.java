package dev.peft4j.spi;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How one adapter method is stored in Hugging Face PEFT's adapter format ({@code
 * adapter_config.json} and {@code adapter_model.safetensors}), so that saving, loading, merging and
 * {@code peft4j inspect} treat every method alike, built in or third-party. Each {@link
 * AdapterFactory} returns its own.
 *
 * <p>The defaults fit a method of PEFT's LoRA family that PEFT itself does not know: it claims no
 * file by its keys (files record it as {@code peft4j_method}), writes and reads no key of its own,
 * stores every parameter of {@link Adapter#peftParameters()} under its own name, checks nothing
 * beyond those tensors being present, and describes a module by its tensors' shapes.
 */
public interface AdapterFileFormat {

    /** The format of a method that overrides nothing. */
    AdapterFileFormat DEFAULT = new AdapterFileFormat() {};

    /** How strongly a method claims an {@code adapter_config.json}; the strongest claim wins. */
    enum Claim {
        /** The file is not this method's. */
        NONE,
        /** Any LoRA-type file without a variant flag (plain LoRA). */
        GENERIC,
        /** The file sets a key of this method's own, such as {@code use_dora}. */
        SPECIFIC
    }

    /**
     * Whether a file is this method's.
     *
     * @param keys the file's keys
     * @return the claim
     * @throws PeftException when a key this method reads has the wrong type
     */
    default Claim claim(AdapterFileKeys keys) {
        return Claim.NONE;
    }

    /**
     * The keys this method reads and writes beyond those common to PEFT's LoRA configurations (r,
     * α, target modules and the like); a file that sets any other key is refused, since its meaning
     * would be lost.
     *
     * @return the keys
     */
    default Set<String> keys() {
        return Set.of();
    }

    /**
     * The method options a file's own keys imply (for example MoRA's {@code mora_type}); options
     * peft4j saved itself take precedence over them.
     *
     * @param keys the file's keys
     * @param savedOptions the options peft4j saved, possibly empty
     * @return the options to add
     * @throws PeftException when a key has the wrong type or value
     */
    default Map<String, String> options(AdapterFileKeys keys, Map<String, String> savedOptions) {
        return Map.of();
    }

    /**
     * The keys to write for an adapter of this method, as plain Java values ({@link AdapterFileKeys}).
     *
     * @param options the adapter's current options ({@link Adapter#currentOptions()})
     * @return the keys
     */
    default Map<String, Object> configKeys(Map<String, String> options) {
        return Map.of();
    }

    /**
     * The tensors to store for one module, by PEFT name relative to the module.
     *
     * @param adapter the module's adapter
     * @return name → array, in storage order
     */
    default Map<String, NDArray> tensors(Adapter adapter) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        adapter.peftParameters().forEach((name, parameter) -> tensors.put(name, parameter.getArray()));
        return tensors;
    }

    /**
     * The names a parameter may be stored under, the preferred first (DoRA's magnitude has two in
     * PEFT's files).
     *
     * @param parameterName a name of {@link Adapter#peftParameters()}
     * @return the names
     */
    default List<String> storedNames(String parameterName) {
        return List.of(parameterName);
    }

    /**
     * Whether a stored module adapts an embedding table E (V, D) rather than a linear weight. Its
     * adapter is then the method's adapter on the linear map W = Eᵀ (d = D outputs, k = V inputs),
     * so merging it writes {@code E + ΔWᵀ}, as for a weight stored (in, out).
     *
     * @param module the module's tensors
     * @return whether it is an embedding; false by default
     */
    default boolean isEmbedding(StoredModule module) {
        return false;
    }

    /**
     * What is wrong with one stored module beyond missing tensors, one sentence each, for {@code
     * inspect} and before a merge.
     *
     * @param module the module's tensors
     * @param config the module's configuration, rank and α resolved
     * @return the problems; empty when consistent
     */
    default List<String> problems(StoredModule module, AdapterConfig config) {
        return List.of();
    }

    /**
     * The trainable values one stored module holds.
     *
     * @param module the module's tensors
     * @return the count; by default every stored value
     */
    default long parameterCount(StoredModule module) {
        return module.parameterCount();
    }

    /**
     * Lines about an adapter's configuration for {@code inspect}.
     *
     * @param config the adapter's configuration
     * @param plugins the registry, for methods with sub-plugins
     * @return the lines
     */
    default List<String> describe(AdapterConfig config, Plugins plugins) {
        return List.of("r = " + config.rank() + ", α = " + config.alpha() + ", scaling = " + config.scaling());
    }

    /**
     * One module's row in {@code inspect}'s table, column name → value, the same columns for every
     * module of a file.
     *
     * @param module the module's tensors
     * @param config the module's configuration, rank and α resolved
     * @return the row
     */
    default Map<String, Object> describe(StoredModule module, AdapterConfig config) {
        Map<String, Object> row = new LinkedHashMap<>();
        module.shapes().forEach(row::put);
        return row;
    }
}
