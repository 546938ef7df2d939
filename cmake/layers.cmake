# cmake/layers.cmake: the layering of docs/architecture.md as far as linking goes. Includes are
# checked by scripts/check-layers.sh; this keeps a library from reaching SQLite by linking it,
# even privately (a static library passes its private links on to whatever links it).

# smartlog_forbid_links(TARGET FORBIDDEN...): fails the configure when TARGET links any of
# FORBIDDEN, directly or through the libraries it links.
function(smartlog_forbid_links target)
    set(todo ${target})
    set(seen "")
    while(todo)
        list(POP_FRONT todo current)
        if(current IN_LIST seen OR NOT TARGET ${current})
            continue()
        endif()
        list(APPEND seen ${current})
        get_target_property(aliased ${current} ALIASED_TARGET)
        if(aliased)
            list(APPEND todo ${aliased})
            continue()
        endif()
        set(links "")
        foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
            get_target_property(value ${current} ${property})
            if(value)
                list(APPEND links ${value})
            endif()
        endforeach()
        foreach(link IN LISTS links)
            # A static library's private links come as $<LINK_ONLY:x>; build-tree ones as
            # $<BUILD_INTERFACE:x>.
            string(REGEX REPLACE "^\\$<(LINK_ONLY|BUILD_INTERFACE):(.*)>$" "\\2" link "${link}")
            if(link IN_LIST ARGN)
                message(FATAL_ERROR "layering: ${target} links ${link} (through ${current}); only "
                        "app/ and the tests may (docs/architecture.md)")
            endif()
            list(APPEND todo ${link})
        endforeach()
    endwhile()
endfunction()

# Below the binary, nothing links the SQLite store: the server knows storage only through
# smartlog_store_interface.
foreach(library smartlog_core smartlog_protocol smartlog_protocol_ingest smartlog_store_interface
                smartlog_server smartlog_client smartlog_web)
    smartlog_forbid_links(${library} smartlog_storage SQLite::SQLite3)
endforeach()

# The server knows cluster mode through the Bus interface alone (smartlog_bus_interface): the
# Redis client and hiredis are linked by app/ and the tests.
foreach(library smartlog_core smartlog_protocol smartlog_protocol_ingest smartlog_store_interface
                smartlog_server smartlog_client smartlog_web)
    smartlog_forbid_links(${library} smartlog_cluster)
endforeach()
