package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * The keys and values of the tokens seen so far, per layer, so that generation runs each new token
 * through the model once. Arrays are (B, kv_heads, S, head_dim) and live in the cache's own
 * manager; closing the cache frees them.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;

    /**
     * An empty cache.
     *
     * @param parent the manager the cache's own manager is made under
     * @param layers the model's layer count
     */
    public KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /**
     * The number of positions cached.
     *
     * @return S
     */
    public long length() {
        return length;
    }

    /**
     * Adds one layer's new keys and values and returns all of them.
     *
     * @param layer the layer
     * @param newKeys (B, kv_heads, T, head_dim)
     * @param newValues (B, kv_heads, T, head_dim)
     * @return keys and values of every position, (B, kv_heads, S + T, head_dim) each
     */
    NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
        keys[layer] = keep(keys[layer], newKeys);
        values[layer] = keep(values[layer], newValues);
        if (layer == keys.length - 1) {
            length = keys[layer].getShape().get(2);
        }
        return new NDArray[] {keys[layer], values[layer]};
    }

    private NDArray keep(NDArray old, NDArray added) {
        NDArray all = old == null ? added : old.concat(added, 2);
        all.attach(manager);
        NDScope.unregister(all);
        if (old != null) {
            old.close();
        }
        return all;
    }

    @Override
    public void close() {
        manager.close();
    }
}
