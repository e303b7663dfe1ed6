# The headers as users of the installed package include them, <elstm_vp/accel/accelerator.hpp>,
# <elstm_vp/platform/platform.hpp>, offered in the build tree too: build/include/elstm_vp/ holds
# one link per header folder, so sources, tests and examples compile the same way against
# either. Every target of this project gets it on its include path.
set(elstm_include_tree ${PROJECT_BINARY_DIR}/include/elstm_vp)
file(MAKE_DIRECTORY ${elstm_include_tree})
file(GLOB elstm_model_dirs LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/models/*)
foreach(dir ${elstm_model_dirs} ${PROJECT_SOURCE_DIR}/platform)
  if(IS_DIRECTORY ${dir})
    get_filename_component(folder ${dir} NAME)
    file(CREATE_LINK ${dir} ${elstm_include_tree}/${folder} SYMBOLIC)
  endif()
endforeach()
foreach(header elstm_desc.h elstm_fw.h)
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/firmware/include/${header} ${elstm_include_tree}/${header} SYMBOLIC)
endforeach()
include_directories(${PROJECT_BINARY_DIR}/include)
