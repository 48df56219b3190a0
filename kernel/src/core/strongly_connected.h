// Strongly connected components of a small directed graph (Tarjan), for finding the cycles in
// plugin dependencies and in listener ordering constraints.
#pragma once

#include <cstddef>
#include <vector>

namespace lore {

// `edges[v]` lists the successors of v. Returns the components; a vertex on no cycle forms a
// component of its own (with a self-edge it is on a cycle of one).
std::vector<std::vector<std::size_t>> strongly_connected_components(
    const std::vector<std::vector<std::size_t>>& edges);

}  // namespace lore
