// Everything a plugin needs: include this one header.
#pragma once

#include "lore/sdk/abi.h"
#include "lore/sdk/cache.h"
#include "lore/sdk/clock.h"
#include "lore/sdk/context.h"
#include "lore/sdk/database.h"
#include "lore/sdk/hook_bus.h"
#include "lore/sdk/hooks.h"
#include "lore/sdk/http.h"
#include "lore/sdk/logger.h"
#include "lore/sdk/plugin.h"
#include "lore/sdk/routes.h"
#include "lore/sdk/services.h"
#include "lore/sdk/settings.h"
#include "lore/sdk/status.h"
