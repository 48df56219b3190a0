// Test plugin: a library that forgot LORE_PLUGIN.
extern "C" __attribute__((visibility("default"))) int not_a_plugin() { return 42; }
